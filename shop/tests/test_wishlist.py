from __future__ import annotations

import pytest
from django.urls import reverse

from shop.models import StockAlert, WishlistItem
from shop.tests.factories import ProductFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_add_and_remove_a_product(client):
    # given
    user = UserFactory()
    product = ProductFactory()
    client.force_login(user)

    # when
    client.post(reverse("shop:wishlist_add"), {"product_id": product.pk})
    client.post(reverse("shop:wishlist_add"), {"product_id": product.pk})
    page = client.get(reverse("shop:wishlist"))

    # then
    assert WishlistItem.objects.filter(user=user).count() == 1
    assert product.name in page.content.decode()

    # when
    client.post(reverse("shop:wishlist_remove", args=[product.pk]))

    # then
    assert not WishlistItem.objects.exists()


def test_wishlist_needs_a_login_and_a_post(client):
    # given
    product = ProductFactory()

    # when
    anonymous = client.post(reverse("shop:wishlist_add"), {"product_id": product.pk})
    client.force_login(UserFactory())
    by_get = client.get(reverse("shop:wishlist_add"), {"product_id": product.pk})

    # then
    assert anonymous.status_code == 302
    assert by_get.status_code == 405
    assert not WishlistItem.objects.exists()


@pytest.mark.parametrize("product_id", ["999999", "abc", ""])
def test_unknown_product_is_refused(client, product_id):
    # given
    client.force_login(UserFactory())

    # when
    response = client.post(reverse("shop:wishlist_add"), {"product_id": product_id})

    # then
    assert response.status_code in {400, 404}
    assert not WishlistItem.objects.exists()


def test_removing_someone_elses_item_is_not_found(client):
    # given
    product = ProductFactory()
    owner = UserFactory()
    WishlistItem.objects.create(user=owner, product=product)
    client.force_login(UserFactory())

    # when
    response = client.post(reverse("shop:wishlist_remove", args=[product.pk]))

    # then
    assert response.status_code == 404
    assert WishlistItem.objects.filter(user=owner).exists()


def test_guest_signs_up_for_a_back_in_stock_alert(client):
    # given
    variant = ProductFactory(variant__stock=0).variants.get()

    # when
    first = client.post(
        reverse("shop:stock_alert_create"),
        {"variant_id": variant.pk, "email": "Fan@Example.com", "next": "/"},
        follow=True,
    )
    second = client.post(
        reverse("shop:stock_alert_create"),
        {"variant_id": variant.pk, "email": "fan@example.com", "next": "/"},
        follow=True,
    )

    # then: one pending alert, active only once the emailed link is followed
    alert = StockAlert.objects.get()
    assert (alert.email, alert.user, alert.confirmed_at) == ("fan@example.com", None, None)
    assert "Check your inbox" in first.content.decode()
    assert "Check your inbox" in second.content.decode()


def test_logged_in_alert_uses_the_account_email(client):
    # given
    user = UserFactory()
    client.force_login(user)
    variant = ProductFactory(variant__stock=0).variants.get()

    # when
    client.post(reverse("shop:stock_alert_create"), {"variant_id": variant.pk})

    # then
    alert = StockAlert.objects.get()
    assert (alert.email, alert.user) == (user.email, user)


def test_alert_for_an_item_in_stock_or_a_bad_email_is_refused(client):
    # given
    in_stock = ProductFactory(variant__stock=3).variants.get()
    sold_out = ProductFactory(variant__stock=0).variants.get()

    # when
    available = client.post(
        reverse("shop:stock_alert_create"), {"variant_id": in_stock.pk, "email": "a@b.co"}
    )
    bad_email = client.post(
        reverse("shop:stock_alert_create"), {"variant_id": sold_out.pk, "email": "nope"}
    )

    # then
    assert available.status_code == 409
    assert "in stock" in available.content.decode()
    assert bad_email.status_code == 400
    assert not StockAlert.objects.exists()
