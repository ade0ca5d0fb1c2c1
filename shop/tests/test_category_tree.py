"""The category tree is built through treebeard's manager API: the model
methods (Category.add_root, node.add_child, node.get_parent) are deprecated
and go away in treebeard 8."""

from __future__ import annotations

import warnings

import pytest
from treebeard.deprecation import RemovedInTreebeard8Warning

from shop import demo
from shop.models import Category
from shop.tests.factories import category_create

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _treebeard_deprecations_fail():
    with warnings.catch_warnings():
        warnings.simplefilter("error", RemovedInTreebeard8Warning)
        yield


def test_test_factories_build_the_tree_without_deprecated_calls():
    # when
    root = category_create("Fashion")
    child = category_create("Batik Tulis", parent=root)

    # then
    assert Category.objects.get_parent(child) == root
    assert list(Category.objects.get_children(root)) == [child]


def test_demo_categories_build_the_tree_without_deprecated_calls():
    # when
    categories = demo._categories()

    # then every demo category is in the tree, under its parent
    assert len(categories) == len(demo.CATEGORIES)
    for slug, _name, parent, _description in demo.CATEGORIES:
        node = Category.objects.get(slug=slug)
        found_parent = Category.objects.get_parent(node)
        assert (found_parent.slug if found_parent else None) == parent
