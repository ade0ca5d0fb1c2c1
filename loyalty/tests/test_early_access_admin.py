"""Early-access drops in the admin: products by id, checked against the shop."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.admin_site import KampungAdminSite
from accounts.tests.factories import StaffFactory
from loyalty.models import EarlyAccessDrop
from loyalty.tests.shop_rows import product_create

pytestmark = pytest.mark.django_db

ADD = "/admin/loyalty/earlyaccessdrop/add/"


def _form(**overrides) -> dict:
    opens_at = timezone.localtime() + timedelta(days=1)
    return {
        "name": "Songket drop",
        "description": "",
        "product_ids": "",
        "opens_at_0": opens_at.strftime("%Y-%m-%d"),
        "opens_at_1": opens_at.strftime("%H:%M:%S"),
        "audience": "signed_in",
        "tier": "",
        "badge": "",
        "is_active": "on",
        **overrides,
    }


@pytest.fixture(autouse=True)
def _no_totp(monkeypatch):
    """The admin's TOTP check is covered in accounts' tests."""
    monkeypatch.setattr(
        KampungAdminSite,
        "has_permission",
        lambda self, request: request.user.is_active and request.user.is_staff,
    )


def _staff_client(client):
    client.force_login(StaffFactory(is_superuser=True))
    return client


def test_staff_add_a_drop_by_product_ids_and_see_the_products_names(client):
    # given
    first, second = (
        product_create(launch_at=timezone.now() + timedelta(days=5), name=name)
        for name in ("Batik Parang", "Songket Gold")
    )
    client = _staff_client(client)

    # when
    response = client.post(ADD, _form(product_ids=f"{second.pk}, {first.pk} {second.pk}"))

    # then
    assert response.status_code == 302, response.context["adminform"].form.errors
    drop = EarlyAccessDrop.objects.get()
    assert drop.product_ids == [second.pk, first.pk]
    page = client.get(f"/admin/loyalty/earlyaccessdrop/{drop.pk}/change/").content.decode()
    assert "Batik Parang" in page and "Songket Gold" in page


@pytest.mark.parametrize("ids", ["abc", "999999", ""])
def test_a_drop_with_an_id_that_is_no_published_product_is_refused_and_not_saved(client, ids):
    client = _staff_client(client)

    response = client.post(ADD, _form(product_ids=ids))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["product_ids"]
    assert not EarlyAccessDrop.objects.exists()


def test_a_tier_drop_without_a_tier_is_refused(client):
    product = product_create(launch_at=timezone.now() + timedelta(days=5))
    client = _staff_client(client)

    response = client.post(ADD, _form(product_ids=str(product.pk), audience="tier"))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["tier"]
    assert not EarlyAccessDrop.objects.exists()
