from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from core import hooks
from core.exceptions import ApplicationError
from shop.models import Coupon, Order, Variant
from shop.services.cart import cart_add, cart_for_session
from shop.services.checkout import checkout_place_order
from shop.services.pricing import coupon_validate, quote_build
from shop.tests.factories import (
    CouponFactory,
    ProductFactory,
    ShippingMethodFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

ADDRESS = {"full_name": "Siti", "phone": "0812", "line1": "Jl. Melati 12", "city": "Yogya"}


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _tax(settings):
    settings.SHOP_TAX_RATE = "0.11"
    settings.SHOP_PRICES_INCLUDE_TAX = True
    settings.STORE_CURRENCY = "IDR"


@pytest.fixture
def variant() -> Variant:
    return ProductFactory(variant__price=Decimal("100000"), variant__stock=50).variants.get()


@pytest.fixture
def shipping():
    return ShippingMethodFactory(price=Decimal("15000"))


def _quote(variant, shipping, coupon=None, quantity=2, user=None):
    return quote_build(
        lines=[(variant, quantity)], shipping_method=shipping, coupon=coupon, user=user
    )


def _place(variant, *, email="buyer@example.com", user=None, coupon_code=""):
    cart = cart_for_session(session_key=f"s-{Order.objects.count()}-{email}")
    cart_add(cart=cart, variant_id=variant.pk, quantity=1)
    return checkout_place_order(
        cart=cart,
        user=user,
        email=email,
        shipping_address=ADDRESS,
        shipping_method_id=None,
        payment_gateway="bank_transfer",
        coupon_code=coupon_code,
    )


def test_quote_without_coupon_includes_tax_in_the_prices(variant, shipping):
    # when
    quote = _quote(variant, shipping)

    # then 2 × 100,000 + 15,000 shipping; the 11% tax is inside the 200,000
    assert quote.subtotal == Decimal("200000")
    assert quote.shipping_total == Decimal("15000")
    assert quote.tax_total == Decimal("19820")  # 200,000 × 0.11 / 1.11, rounded half up
    assert quote.total == Decimal("215000")
    for amount in (quote.subtotal, quote.tax_total, quote.total, quote.discount_total):
        assert isinstance(amount, Decimal)


def test_tax_excluded_prices_add_tax_on_top(settings, variant, shipping):
    # given
    settings.SHOP_PRICES_INCLUDE_TAX = False

    # when
    quote = _quote(variant, shipping)

    # then
    assert quote.tax_total == Decimal("22000")
    assert quote.total == Decimal("237000")


def test_tax_rate_comes_from_settings(settings, variant, shipping):
    # given
    settings.SHOP_PRICES_INCLUDE_TAX = False
    settings.SHOP_TAX_RATE = "0.05"

    # when
    quote = _quote(variant, shipping)

    # then
    assert quote.tax_total == Decimal("10000")
    assert quote.total == Decimal("225000")


def test_percent_coupon_takes_its_share_off_the_subtotal_before_tax(variant, shipping):
    # given
    coupon = CouponFactory(kind=Coupon.Kind.PERCENT, value=Decimal("10"))

    # when
    quote = _quote(variant, shipping, coupon)

    # then
    assert quote.discount_total == Decimal("20000")
    assert quote.tax_total == Decimal("17838")  # 180,000 × 0.11 / 1.11
    assert quote.total == Decimal("195000")
    assert quote.discounts == [(coupon.code, Decimal("20000"))]


def test_percent_coupon_rounds_to_the_currency_unit(variant, shipping):
    # given 12.5% of 100,000.50 is 12,500.0625
    variant.price = Decimal("100000.50")
    coupon = CouponFactory(kind=Coupon.Kind.PERCENT, value=Decimal("12.5"))

    # when
    quote = _quote(variant, shipping, coupon, quantity=1)

    # then
    assert quote.subtotal == Decimal("100001")
    assert quote.discount_total == Decimal("12500")


def test_fixed_coupon_never_makes_the_goods_negative(variant, shipping):
    # given a coupon worth more than the goods
    coupon = CouponFactory(kind=Coupon.Kind.FIXED, value=Decimal("250000"))

    # when
    quote = _quote(variant, shipping, coupon)

    # then only shipping is left to pay
    assert quote.discount_total == Decimal("200000")
    assert quote.tax_total == Decimal("0")
    assert quote.total == Decimal("15000")


def test_free_shipping_coupon_zeroes_shipping_only(variant, shipping):
    # given
    coupon = CouponFactory(kind=Coupon.Kind.FREE_SHIPPING, value=Decimal("0"))

    # when
    quote = _quote(variant, shipping, coupon)

    # then
    assert quote.shipping_total == Decimal("0")
    assert quote.discount_total == Decimal("0")
    assert quote.total == Decimal("200000")


def test_free_over_threshold_shipping_is_free_from_the_threshold(variant):
    # given
    method = ShippingMethodFactory(
        kind="free_over", price=Decimal("15000"), free_over=Decimal("200000")
    )

    # when / then
    assert _quote(variant, method, quantity=2).shipping_total == Decimal("0")
    assert _quote(variant, method, quantity=1).shipping_total == Decimal("15000")


def test_coupon_below_its_minimum_order_is_refused():
    # given
    coupon = CouponFactory(minimum_subtotal=Decimal("300000"))

    # when / then
    with pytest.raises(ApplicationError) as refused:
        coupon_validate(coupon=coupon, subtotal=Decimal("299999"), user=None, email="a@b.c")
    assert refused.value.code == "coupon_minimum"
    coupon_validate(coupon=coupon, subtotal=Decimal("300000"), user=None, email="a@b.c")


@pytest.mark.parametrize(
    ("valid_from", "valid_until", "code"),
    [
        (timedelta(hours=1), None, "coupon_invalid"),
        (None, timedelta(seconds=-1), "coupon_expired"),
    ],
)
def test_coupon_outside_its_validity_window_is_refused(valid_from, valid_until, code):
    # given
    now = timezone.now()
    coupon = CouponFactory(
        valid_from=now + valid_from if valid_from else None,
        valid_until=now + valid_until if valid_until else None,
    )

    # when / then
    with pytest.raises(ApplicationError) as refused:
        coupon_validate(coupon=coupon, subtotal=Decimal("100"), user=None, email="a@b.c")
    assert refused.value.code == code


def test_coupon_inside_its_validity_window_is_accepted():
    now = timezone.now()
    coupon = CouponFactory(valid_from=now - timedelta(days=1), valid_until=now + timedelta(days=1))
    coupon_validate(coupon=coupon, subtotal=Decimal("100"), user=None, email="a@b.c")


def test_inactive_coupon_is_refused():
    coupon = CouponFactory(is_active=False)
    with pytest.raises(ApplicationError) as refused:
        coupon_validate(coupon=coupon, subtotal=Decimal("100"), user=None, email="a@b.c")
    assert refused.value.code == "coupon_invalid"


def test_expired_coupon_at_checkout_writes_nothing(variant):
    # given
    coupon = CouponFactory(valid_until=timezone.now() - timedelta(minutes=1))

    # when
    with pytest.raises(ApplicationError) as refused:
        _place(variant, coupon_code=coupon.code)

    # then
    assert refused.value.message == "This coupon has expired."
    assert not Order.objects.exists()
    variant.refresh_from_db()
    coupon.refresh_from_db()
    assert (variant.stock, variant.reserved, coupon.times_used) == (50, 0, 0)


def test_coupon_used_up_overall_is_refused(variant):
    # given a two-use coupon used twice by two shoppers
    coupon = CouponFactory(usage_limit=2)
    _place(variant, email="one@example.com", coupon_code=coupon.code)
    _place(variant, email="two@example.com", coupon_code=coupon.code.lower())

    # when
    with pytest.raises(ApplicationError) as refused:
        _place(variant, email="three@example.com", coupon_code=coupon.code)

    # then
    assert refused.value.code == "coupon_used_up"
    coupon.refresh_from_db()
    assert coupon.times_used == 2
    assert Order.objects.count() == 2
    variant.refresh_from_db()
    assert variant.reserved == 2


def test_coupon_per_customer_limit_counts_by_email_and_by_account(variant):
    # given a once-per-customer coupon the user used as a guest with their email
    user = UserFactory(email="siti@example.com")
    coupon = CouponFactory(usage_limit_per_user=1)
    _place(variant, email="siti@example.com", coupon_code=coupon.code)

    # when the account uses it again, under another email
    with pytest.raises(ApplicationError) as by_email:
        _place(variant, email="Siti@Example.com", user=user, coupon_code=coupon.code)
    Order.objects.update(user=user)
    with pytest.raises(ApplicationError) as by_account:
        _place(variant, email="other@example.com", user=user, coupon_code=coupon.code)

    # then both are refused; someone else may still use it
    assert by_email.value.code == by_account.value.code == "coupon_used_by_you"
    _place(variant, email="friend@example.com", coupon_code=coupon.code)
    coupon.refresh_from_db()
    assert coupon.times_used == 2


def test_first_order_coupon_is_refused_after_a_first_order(variant):
    # given
    coupon = CouponFactory(first_order_only=True)
    _place(variant, email="new@example.com")

    # when
    with pytest.raises(ApplicationError) as refused:
        _place(variant, email="new@example.com", coupon_code=coupon.code)

    # then
    assert refused.value.code == "coupon_first_order"
    assert Order.objects.count() == 1
    coupon.refresh_from_db()
    assert coupon.times_used == 0


def test_first_order_coupon_is_accepted_on_a_first_order(variant):
    coupon = CouponFactory(first_order_only=True)
    order = _place(variant, email="new@example.com", coupon_code=coupon.code)
    assert order.coupon == coupon


class _Provider:
    """A checkout adjustment provider as loyalty would register one."""

    def __init__(self, code: str, answer, seen: list | None = None) -> None:
        self.code = code
        self.answer = answer
        self.seen = seen if seen is not None else []

    def quote(self, *, user, subtotal, choice):
        self.seen.append((user, subtotal, choice))
        return self.answer

    def apply(self, **kwargs):
        return None

    def release(self, **kwargs):
        return None


def test_checkout_adjustment_hook_adds_a_discount(variant, shipping):
    # given loyalty (or any app) offers 5,000 off through the hook
    points = _Provider("points", {"label": "Points", "amount": Decimal("5000")})
    user = UserFactory()

    # when
    with hooks.registered(hooks.CHECKOUT_ADJUSTMENTS, points):
        quote = _quote(variant, shipping, user=user)

    # then
    assert points.seen == [(user, Decimal("200000"), "")]
    assert quote.discounts == [("Points", Decimal("5000"))]
    assert [(a.code, a.amount) for a in quote.adjustments] == [("points", Decimal("5000"))]
    assert quote.discount_total == Decimal("5000")
    assert quote.total == Decimal("210000")


def test_hook_adjustment_is_capped_at_what_is_left_to_pay(variant, shipping):
    # given a 10% coupon and providers offering more than the rest, or less than 0
    coupon = CouponFactory(kind=Coupon.Kind.PERCENT, value=Decimal("10"))
    generous = _Provider("points", {"label": "Points", "amount": "999999"})
    negative = _Provider("nothing", {"label": "Nothing", "amount": Decimal("-5")})

    # when
    with (
        hooks.registered(hooks.CHECKOUT_ADJUSTMENTS, generous),
        hooks.registered(hooks.CHECKOUT_ADJUSTMENTS, negative),
    ):
        quote = _quote(variant, shipping, coupon)

    # then the goods cost nothing; shipping is still due; negatives are ignored
    assert quote.discount_total == Decimal("200000")
    assert quote.discounts == [(coupon.code, Decimal("20000")), ("Points", Decimal("180000"))]
    assert quote.total == Decimal("15000")


def test_without_a_discount_hook_nothing_changes(variant, shipping, monkeypatch):
    # given no app registered a checkout discount (the shop without loyalty)
    monkeypatch.setitem(hooks._registry, hooks.CHECKOUT_ADJUSTMENTS, [])

    # when
    quote = _quote(variant, shipping)

    # then
    assert quote.discounts == []
    assert quote.discount_total == Decimal("0")
    assert quote.total == Decimal("215000")


class _ShippingProvider(_Provider):
    """A provider that takes_shipping (a free-shipping reward): told the
    shipping cost, it answers "off": "shipping"."""

    takes_shipping = True

    def quote(self, *, user, subtotal, choice, shipping):
        self.seen.append((subtotal, shipping))
        return self.answer(subtotal, shipping) if callable(self.answer) else self.answer


@pytest.mark.parametrize("prices_include_tax", [True, False])
def test_an_amount_off_the_shipping_leaves_the_goods_and_their_tax_alone(
    variant, shipping, settings, prices_include_tax
):
    # given a free-shipping provider first and a points provider after it
    settings.SHOP_PRICES_INCLUDE_TAX = prices_include_tax
    free = _ShippingProvider(
        "free", lambda subtotal, shipping: {"label": "Free", "amount": shipping, "off": "shipping"}
    )
    points = _Provider("points", {"label": "Points", "amount": Decimal("5000")})
    without = _quote(variant, shipping)

    # when
    with (
        hooks.registered(hooks.CHECKOUT_ADJUSTMENTS, free, order=1),
        hooks.registered(hooks.CHECKOUT_ADJUSTMENTS, points, order=2),
    ):
        quote = _quote(variant, shipping)

    # then the shipping comes off, the points still see all the goods
    assert free.seen == [(Decimal("200000"), Decimal("15000"))]
    assert points.seen[0][1] == Decimal("200000")
    assert [(a.code, a.off, a.amount) for a in quote.adjustments] == [
        ("free", "shipping", Decimal("15000")),
        ("points", "goods", Decimal("5000")),
    ]
    assert quote.discounts == [("Free", Decimal("15000")), ("Points", Decimal("5000"))]
    # the order keeps what shipping costs, and lists what came off it
    assert quote.shipping_total == Decimal("15000")
    assert quote.discount_total == Decimal("20000")
    # only the points lower the tax
    points_only = None
    with hooks.registered(hooks.CHECKOUT_ADJUSTMENTS, points):
        points_only = _quote(variant, shipping)
    assert quote.tax_total == points_only.tax_total < without.tax_total
    assert quote.total == points_only.total - Decimal("15000")


def test_an_amount_off_the_shipping_is_capped_at_the_shipping_and_a_free_coupon_leaves_none(
    variant, shipping
):
    greedy = _ShippingProvider("free", {"label": "Free", "amount": "999999", "off": "shipping"})
    free_coupon = CouponFactory(kind=Coupon.Kind.FREE_SHIPPING)

    with hooks.registered(hooks.CHECKOUT_ADJUSTMENTS, greedy):
        capped = _quote(variant, shipping)
        after_coupon = _quote(variant, shipping, free_coupon)

    assert [a.amount for a in capped.adjustments] == [Decimal("15000")]
    assert capped.total == Decimal("200000")
    # the coupon made the shipping free: the provider is told 0 and takes nothing
    assert greedy.seen[-1] == (Decimal("200000"), Decimal("0"))
    assert after_coupon.adjustments == []
    assert after_coupon.total == Decimal("200000")


def test_a_provider_that_does_not_take_shipping_is_asked_as_before(variant, shipping):
    # given a provider written before the shipping existed in the contract,
    # answering "off": "shipping" all the same
    old = _Provider("old", {"label": "Old", "amount": Decimal("5000"), "off": "shipping"})

    # when (its quote() takes no `shipping`: a TypeError if it were passed)
    with hooks.registered(hooks.CHECKOUT_ADJUSTMENTS, old):
        quote = _quote(variant, shipping)

    # then its amount comes off the goods, as it always did
    assert [(a.off, a.amount) for a in quote.adjustments] == [("goods", Decimal("5000"))]
    assert quote.total == Decimal("210000")


def test_an_order_with_free_shipping_from_a_provider_keeps_the_line_and_its_totals(
    variant, shipping
):
    free = _ShippingProvider(
        "free", lambda subtotal, shipping: {"label": "Free", "amount": shipping, "off": "shipping"}
    )
    cart = cart_for_session(session_key="s-free")
    cart_add(cart=cart, variant_id=variant.pk, quantity=2)

    with hooks.registered(hooks.CHECKOUT_ADJUSTMENTS, free):
        order = checkout_place_order(
            cart=cart,
            user=None,
            email="buyer@example.com",
            shipping_address=ADDRESS,
            shipping_method_id=shipping.pk,
            payment_gateway="bank_transfer",
        )

    assert (order.subtotal, order.shipping_total, order.discount_total, order.total) == (
        Decimal("200000"),
        Decimal("15000"),
        Decimal("15000"),
        Decimal("200000"),
    )
    assert order.coupon_discount == Decimal("0")
    assert [(a.code, a.amount) for a in order.adjustments.all()] == [("free", Decimal("15000"))]
