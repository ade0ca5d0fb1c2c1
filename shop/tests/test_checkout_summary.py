"""The checkout's summary follows the shopper's choices (shipping method,
coupon, adjustments) and shows the total the order is then placed at."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from core import hooks
from shop.models import Order, ShippingMethod
from shop.payments.test_card import SUCCESS
from shop.tests.factories import (
    FULL_ADDRESS,
    CouponFactory,
    ProductFactory,
    ShippingMethodFactory,
)

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


class Points:
    """An adjustment provider: takes off what the shopper chose, up to 50,000."""

    code = "points"

    def quote(self, *, user, subtotal, choice):
        if not choice:
            return None
        return {"label": "Points", "amount": min(Decimal(choice), Decimal("50000"))}

    def apply(self, *, order_id, user_id, amount, data):
        return {}

    def release(self, *, order_id, user_id, amount, data, reason):
        pass


@pytest.fixture
def methods() -> dict[str, ShippingMethod]:
    """The demo shop's three methods."""
    return {
        "flat": ShippingMethodFactory(name="JNE Reguler", price=Decimal("18000"), position=0),
        "free_over": ShippingMethodFactory(
            name="JNE YES",
            kind=ShippingMethod.Kind.FREE_OVER,
            price=Decimal("25000"),
            free_over=Decimal("500000"),
            position=1,
        ),
        "pickup": ShippingMethodFactory(
            name="Pick up at the shop", kind=ShippingMethod.Kind.PICKUP, price=0, position=2
        ),
    }


def _variant(price: str, stock: int = 20):
    return ProductFactory(variant__price=Decimal(price), variant__stock=stock).variants.get()


def _fill_cart(client, variant, quantity: int = 1) -> None:
    response = client.post(
        reverse("shop:cart_add"), {"variant_id": variant.pk, "quantity": quantity}
    )
    assert response.status_code == 302


def _form(client, **choices) -> dict:
    page = client.get(reverse("shop:checkout"))
    assert page.status_code == 200
    return {
        "idempotency_key": page.context["form"]["idempotency_key"].value(),
        "email": "guest@example.com",
        **FULL_ADDRESS,
        "payment_method": "test_card",
        "card_number": SUCCESS,
        **choices,
    }


def _summary(client, data):
    response = client.post(reverse("shop:checkout_summary"), data, **HTMX)
    assert response.status_code == 200
    return response


def _shown_total(response) -> str:
    match = re.search(r'data-summary="total"><strong>([^<]+)</strong>', response.content.decode())
    assert match, "no total in the summary"
    return match.group(1)


@pytest.mark.parametrize("method", ["flat", "free_over", "pickup"])
@pytest.mark.parametrize("coupon_kind", [None, "percent", "fixed", "free_shipping"], ids=str)
def test_summary_total_is_the_placed_orders_total(client, methods, method, coupon_kind):
    # given a cart of 653,000 (over the free-shipping threshold) and a choice
    _fill_cart(client, _variant("653000"))
    choices = {"shipping_method": methods[method].pk}
    if coupon_kind:
        value = {"percent": "10", "fixed": "25000", "free_shipping": "0"}[coupon_kind]
        coupon = CouponFactory(kind=coupon_kind, value=Decimal(value))
        choices["coupon_code"] = coupon.code.lower()
    data = _form(client, **choices)

    # when the summary is asked for those choices, then the order placed
    summary = _summary(client, data)
    placed = client.post(reverse("shop:checkout"), {**data, "action": "place_order"})

    # then the total shown is the total charged
    assert placed.status_code == 302, placed.content.decode()[:500]
    order = Order.objects.get()
    assert summary.context["quote"].total == order.total
    assert summary.context["shipping"] == methods[method]
    assert _shown_total(summary) == f"Rp\N{NO-BREAK SPACE}{order.total:,.0f}"


def test_free_shipping_choice_changes_the_summary_to_the_charged_total(client, methods):
    # given the reported cart: 653,000, JNE Reguler preselected at 18,000
    _fill_cart(client, _variant("653000"))
    data = _form(client)
    first = _summary(client, data)
    assert first.context["shipping"] == methods["free_over"]  # the cheapest that ships

    # when the shopper picks JNE Reguler, then free shipping again
    regular = _summary(client, {**data, "shipping_method": methods["flat"].pk})
    free = _summary(client, {**data, "shipping_method": methods["free_over"].pk})

    # then the summary follows each choice
    assert regular.context["quote"].shipping_total == Decimal("18000")
    assert _shown_total(regular) == "Rp\N{NO-BREAK SPACE}671,000"
    assert free.context["quote"].shipping_total == Decimal("0")
    assert _shown_total(free) == "Rp\N{NO-BREAK SPACE}653,000"
    assert "Shipping (JNE YES)" in free.content.decode()


def test_summary_follows_an_adjustment_choice(client, methods):
    # given a points provider and a cart of 200,000
    _fill_cart(client, _variant("100000"), 2)
    data = _form(client, shipping_method=methods["flat"].pk)
    with hooks.registered(hooks.CHECKOUT_ADJUSTMENTS, Points()):
        # when the shopper chooses 30,000 of points
        summary = _summary(client, {**data, "adjustment-points": "30000"})
        placed = client.post(
            reverse("shop:checkout"),
            {**data, "adjustment-points": "30000", "action": "place_order"},
        )

    # then the summary takes them off, and the order is placed at that total
    assert summary.context["quote"].total == Decimal("188000")
    assert "Discount (Points)" in summary.content.decode()
    assert placed.status_code == 302
    assert Order.objects.get().total == Decimal("188000")


def test_cheapest_offered_method_is_preselected_on_first_view(client):
    # given two delivered methods (the dearer first) and pickup, free
    ShippingMethodFactory(name="Express", price=Decimal("30000"), position=0)
    cheap = ShippingMethodFactory(name="Economy", price=Decimal("12000"), position=1)
    ShippingMethodFactory(name="Pickup", kind=ShippingMethod.Kind.PICKUP, price=0, position=2)
    _fill_cart(client, _variant("100000"))

    # when
    page = client.get(reverse("shop:checkout"))

    # then the cheapest delivery is checked and priced in the summary
    assert page.context["shipping"] == cheap
    assert page.context["quote"].shipping_total == Decimal("12000")
    body = page.content.decode()
    assert f'id="shipping-{cheap.pk}" value="{cheap.pk}" data-summary-input checked' in body
    assert body.count(" checked") == 2  # the method and the payment method


def test_free_over_method_is_offered_only_when_the_cart_qualifies(client, methods):
    # given a cart under the threshold
    variant = _variant("250000")
    _fill_cart(client, variant)

    # when
    page = client.get(reverse("shop:checkout"))

    # then free shipping is not offered and the cheapest other method is chosen
    offered = [option.method for option in page.context["shipping_options"]]
    assert offered == [methods["flat"], methods["pickup"]]
    assert page.context["shipping"] == methods["flat"]
    assert "JNE YES" not in page.content.decode()

    # and placing the order with it anyway is refused, nothing placed
    data = _form(client, shipping_method=methods["free_over"].pk, action="place_order")
    refused = client.post(reverse("shop:checkout"), data)
    assert refused.status_code == 400
    assert "Choose an available shipping method." in refused.content.decode()
    assert not Order.objects.exists()

    # when the cart reaches the threshold, then it is offered, free
    _fill_cart(client, variant)
    page = client.get(reverse("shop:checkout"))
    options = {o.method: o.cost for o in page.context["shipping_options"]}
    assert options[methods["free_over"]] == Decimal("0")


def test_free_over_threshold_is_shown_once_in_the_shops_money_format(client, methods):
    # given a qualifying cart
    _fill_cart(client, _variant("600000"))

    # when
    body = client.get(reverse("shop:checkout")).content.decode()

    # then the threshold is shown once, formatted, never as a raw decimal
    label = re.search(
        rf'<label for="shipping-{methods["free_over"].pk}">(.*?)</label>', body, re.S
    ).group(1)
    assert label.count("500,000") == 1
    assert "Free for orders from Rp\N{NO-BREAK SPACE}500,000." in label
    assert "500000" not in body


def test_coupon_minimum_is_shown_in_the_shops_money_format(client, methods):
    # given a coupon for orders from 300,000 and a cart of 100,000
    coupon = CouponFactory(minimum_subtotal=Decimal("300000"))
    _fill_cart(client, _variant("100000"))
    data = _form(client, coupon_code=coupon.code)

    # when
    summary = _summary(client, data)

    # then the reason is in the money format, the summary priced without it
    body = summary.content.decode()
    assert "This coupon needs an order of at least Rp\N{NO-BREAK SPACE}300,000." in body
    assert "300000" not in body
    assert summary.context["quote"].discount_total == Decimal("0")
    assert summary.context["quote"].total == Decimal("118000")


def test_applied_coupon_is_named_in_the_summary(client, methods):
    # given a free-shipping coupon (it adds no discount line)
    coupon = CouponFactory(code="GRATISONGKIR", kind="free_shipping", value=0)
    _fill_cart(client, _variant("100000"))
    data = _form(client, shipping_method=methods["flat"].pk, coupon_code="gratisongkir")

    # when
    summary = _summary(client, data)

    # then
    assert "Coupon GRATISONGKIR applied." in summary.content.decode()
    assert summary.context["quote"].shipping_total == Decimal("0")
    assert summary.context["summary"].coupon == coupon


def test_summary_queries_do_not_grow_with_the_cart(client, methods, django_assert_max_num_queries):
    # given a coupon and a one-line cart
    coupon = CouponFactory(first_order_only=True, usage_limit_per_user=1)
    _fill_cart(client, _variant("100000"))
    data = _form(client, coupon_code=coupon.code)
    with django_assert_max_num_queries(12) as one_line:
        _summary(client, data)

    # when the cart has six lines
    for _ in range(5):
        _fill_cart(client, _variant("50000"))
    with django_assert_max_num_queries(12) as six_lines:
        summary = _summary(client, data)

    # then the same number of queries prices it
    assert len(six_lines.captured_queries) == len(one_line.captured_queries)
    assert summary.context["quote"].subtotal == Decimal("350000")


def test_checkout_page_queries_do_not_grow_with_the_cart(
    client, methods, django_assert_max_num_queries
):
    _fill_cart(client, _variant("100000"))
    with django_assert_max_num_queries(20) as one_line:
        client.get(reverse("shop:checkout"))
    for _ in range(5):
        _fill_cart(client, _variant("50000"))
    with django_assert_max_num_queries(20) as six_lines:
        client.get(reverse("shop:checkout"))
    assert len(six_lines.captured_queries) == len(one_line.captured_queries)


def test_update_summary_without_javascript_follows_the_choice_and_keeps_the_form(client, methods):
    # given a shopper who typed their details and a note, then chose pickup
    _fill_cart(client, _variant("653000"))
    data = _form(
        client,
        shipping_method=methods["pickup"].pk,
        note="Please wrap it",
        action="update_summary",
    )

    # when they submit "Update summary"
    page = client.post(reverse("shop:checkout"), data)

    # then the page shows the summary for pickup, with nothing lost or placed
    assert page.status_code == 200
    assert page.context["shipping"] == methods["pickup"]
    assert page.context["quote"].total == Decimal("653000")
    body = page.content.decode()
    assert 'value="Jl. Melati 12"' in body
    assert 'value="guest@example.com"' in body
    assert "Please wrap it" in body
    assert f'value="{data["idempotency_key"]}"' in body
    assert not page.context["form"].errors
    assert not Order.objects.exists()


def test_refused_submit_shows_the_summary_for_the_changed_choice(client, methods):
    # given a shopper who changed to JNE Reguler but left the street empty
    _fill_cart(client, _variant("653000"))
    data = _form(client, shipping_method=methods["flat"].pk, line1="", action="place_order")

    # when they place the order
    page = client.post(reverse("shop:checkout"), data)

    # then the form says what is missing and the summary follows the choice
    assert page.status_code == 400
    assert "line1" in page.context["form"].errors
    assert page.context["shipping"] == methods["flat"]
    assert page.context["quote"].total == Decimal("671000")
    assert 'value="Siti Rahma"' in page.content.decode()
    assert not Order.objects.exists()


def test_update_summary_button_is_there_only_without_javascript(client, methods):
    _fill_cart(client, _variant("100000"))
    body = client.get(reverse("shop:checkout")).content.decode()
    buttons = re.findall(r"<noscript>.*?</noscript>", body, re.S)
    assert buttons and all('value="update_summary"' in b for b in buttons)
    assert body.count('value="update_summary"') == len(buttons)


def test_summary_endpoint_outside_htmx_goes_to_the_checkout(client, methods):
    _fill_cart(client, _variant("100000"))
    response = client.post(reverse("shop:checkout_summary"), {})
    assert response.status_code == 302
    assert response["Location"] == reverse("shop:checkout")


def test_guest_checkout_says_what_it_asks_for(client, methods):
    # given a guest at checkout
    _fill_cart(client, _variant("100000"))

    # when
    body = client.get(reverse("shop:checkout")).content.decode()

    # then it names the email and the shipping address, not "only your email"
    assert "we only need your email" not in body.lower()
    assert "just your email for the order" in body
    assert "an address to ship to" in body


class FreeShipping(Points):
    """A provider that takes_shipping: the shopper's code takes the shipping off."""

    code = "free"
    takes_shipping = True

    def __init__(self) -> None:
        self.asked: list[Decimal] = []

    def quote(self, *, user, subtotal, choice, shipping):
        if choice != "FREE":
            return None
        return {"label": "Free shipping", "amount": shipping, "off": "shipping"}

    def field(self, *, user, subtotal, choice, shipping):
        self.asked.append(shipping)
        return {"label": "Reward code", "help": "", "error": "", "type": "text", "value": choice}


def test_the_summary_and_the_order_take_the_chosen_methods_shipping_off(client, methods):
    # given a cart of 200,000 sent by JNE Reguler (18,000)
    _fill_cart(client, _variant("100000"), 2)
    data = {**_form(client, shipping_method=methods["flat"].pk), "adjustment-free": "FREE"}
    provider = FreeShipping()
    with hooks.registered(hooks.CHECKOUT_ADJUSTMENTS, provider):
        # when the shopper enters the code
        page = client.post(reverse("shop:checkout"), {**data, "action": "update_summary"})
        summary = _summary(client, data)
        placed = client.post(reverse("shop:checkout"), {**data, "action": "place_order"})

    # then the field was told the shipping, the summary and the order agree
    assert provider.asked and provider.asked[-1] == Decimal("18000")
    assert page.status_code == 200
    body = summary.content.decode()
    assert "Discount (Free shipping)" in body and "Shipping (JNE Reguler)" in body
    assert _shown_total(summary) == "Rp\N{NO-BREAK SPACE}200,000"
    assert placed.status_code == 302
    order = Order.objects.get()
    assert (order.shipping_total, order.total) == (Decimal("18000"), Decimal("200000"))
