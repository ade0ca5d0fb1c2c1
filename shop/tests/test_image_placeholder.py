from __future__ import annotations

import pytest

from shop.tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def test_a_product_without_a_picture_shows_the_placeholder_icon_on_its_card_and_page(client):
    # given
    product = ProductFactory(is_published=True)
    assert not product.images.exists()
    # when
    page = client.get(product.get_absolute_url())
    listing = client.get(product.category.get_absolute_url())
    # then: a neutral icon, no broken image and no initial letter
    for response, cls in [(page, "gallery-placeholder"), (listing, "product-card-placeholder")]:
        html = response.content.decode()
        assert response.status_code == 200
        assert f'class="image-placeholder {cls}" aria-hidden="true"><svg' in html
        assert '<img src=""' not in html
