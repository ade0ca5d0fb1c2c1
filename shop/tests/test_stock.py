from __future__ import annotations

import pytest
from django.db import transaction
from django.utils import translation

from core.exceptions import ApplicationError
from shop.models import Product, Variant
from shop.services.stock import (
    SoldOut,
    stock_commit,
    stock_release,
    stock_reserve,
    stock_restock,
    stock_set,
)
from shop.tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def _variant(stock: int = 5) -> Variant:
    return ProductFactory(variant__stock=stock).variants.get()


def test_reserve_holds_units_without_taking_them_off_the_shelf():
    # given
    variant = _variant(stock=5)

    # when
    with transaction.atomic():
        stock_reserve(quantities={variant.pk: 2})

    # then
    variant.refresh_from_db()
    assert (variant.stock, variant.reserved, variant.available) == (5, 2, 3)


def test_reserving_more_than_available_is_sold_out_and_holds_nothing():
    # given a variant with one unit held already
    variant = _variant(stock=2)
    other = _variant(stock=5)
    with transaction.atomic():
        stock_reserve(quantities={variant.pk: 1})

    # when a two-line reservation cannot cover its second line
    with pytest.raises(SoldOut) as refused, transaction.atomic():
        stock_reserve(quantities={other.pk: 1, variant.pk: 2})

    # then the message is clear and neither line holds anything
    assert refused.value.status_code == 409
    assert refused.value.message.startswith("Sorry, only 1 of")
    assert refused.value.extra == {"variant_id": variant.pk, "available": 1, "requested": 2}
    variant.refresh_from_db()
    other.refresh_from_db()
    assert (variant.stock, variant.reserved) == (2, 1)
    assert (other.stock, other.reserved) == (5, 0)


def test_sold_out_message_says_sold_out_when_nothing_is_left():
    # given
    variant = _variant(stock=0)

    # when
    with pytest.raises(SoldOut) as refused, transaction.atomic():
        stock_reserve(quantities={variant.pk: 1})

    # then
    assert "sold out" in refused.value.message
    assert refused.value.code == "sold_out"


def test_reserving_an_inactive_variant_is_refused():
    # given
    variant = _variant(stock=3)
    Variant.objects.filter(pk=variant.pk).update(is_active=False)

    # when / then
    with pytest.raises(ApplicationError) as refused, transaction.atomic():
        stock_reserve(quantities={variant.pk: 1})
    assert refused.value.code == "unavailable"
    variant.refresh_from_db()
    assert variant.reserved == 0


def test_commit_takes_the_held_units_off_the_shelf():
    # given
    variant = _variant(stock=5)
    with transaction.atomic():
        stock_reserve(quantities={variant.pk: 2})

    # when
    with transaction.atomic():
        stock_commit(quantities={variant.pk: 2})

    # then
    variant.refresh_from_db()
    assert (variant.stock, variant.reserved) == (3, 0)


def test_release_of_the_last_hold_reports_the_variant_back_in_stock():
    # given every unit held
    variant = _variant(stock=2)
    with transaction.atomic():
        stock_reserve(quantities={variant.pk: 2})

    # when
    with transaction.atomic():
        back = stock_release(quantities={variant.pk: 2})

    # then
    variant.refresh_from_db()
    assert (variant.stock, variant.reserved) == (2, 0)
    assert back == [variant.pk]


def test_restock_reports_only_variants_that_were_sold_out():
    # given one sold-out and one available variant
    sold_out = _variant(stock=0)
    available = _variant(stock=3)

    # when
    with transaction.atomic():
        back = stock_restock(quantities={sold_out.pk: 2, available.pk: 1})

    # then
    assert back == [sold_out.pk]
    assert Variant.objects.get(pk=sold_out.pk).stock == 2
    assert Variant.objects.get(pk=available.pk).stock == 4


def test_listing_flag_follows_the_last_unit_being_held_and_released():
    # given
    variant = _variant(stock=1)
    assert Product.objects.get(pk=variant.product_id).in_stock

    # when the last unit is held
    with transaction.atomic():
        stock_reserve(quantities={variant.pk: 1})

    # then listings show it sold out, and available again once released
    assert not Product.objects.get(pk=variant.product_id).in_stock
    with transaction.atomic():
        stock_release(quantities={variant.pk: 1})
    assert Product.objects.get(pk=variant.product_id).in_stock


def test_staff_cannot_set_stock_below_what_unpaid_orders_hold():
    # given
    variant = _variant(stock=5)
    with transaction.atomic():
        stock_reserve(quantities={variant.pk: 3})

    # when / then
    with pytest.raises(ApplicationError) as refused, transaction.atomic():
        stock_set(variant_id=variant.pk, stock=2)
    assert refused.value.code == "stock_below_reserved"
    with pytest.raises(ApplicationError), transaction.atomic():
        stock_set(variant_id=variant.pk, stock=-1)
    variant.refresh_from_db()
    assert (variant.stock, variant.reserved) == (5, 3)
