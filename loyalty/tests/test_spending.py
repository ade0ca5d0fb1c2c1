"""Points at checkout: the "loyalty.points" provider quotes within the
program's limits, takes the points in the order's own transaction, and gives
them back once per cancellation or refund."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.tests.factories import UserFactory
from core.exceptions import ApplicationError
from loyalty.models import CheckoutRedemption, EntryKind, LedgerEntry, ProgramSettings
from loyalty.selectors.ledger import balance_of, ledger_mismatches
from loyalty.services.ledger import points_award
from loyalty.services.spending import points_at_checkout
from shop.models import Order
from shop.services.cart import cart_add, cart_for_user
from shop.services.checkout import checkout_place_order
from shop.services.orders import order_cancel, order_mark_paid, order_refund
from shop.tests.factories import CHECKOUT_ADDRESS, ProductFactory

pytestmark = pytest.mark.django_db

CODE = "loyalty.points"


@pytest.fixture
def member():
    user = UserFactory()
    points_award(user_id=user.pk, rule="adjust", subject="gift", points=10_000)
    return user


@pytest.fixture
def program():
    # 1 point = Rp 10, at most half an order, at least 100 points
    return ProgramSettings.current()


def _quote(user, subtotal: str, choice: str):
    return points_at_checkout.quote(user=user, subtotal=Decimal(subtotal), choice=choice)


def _place(user, *, choice: str, price: str = "100000", quantity: int = 2) -> Order:
    variant = ProductFactory(variant__price=Decimal(price), variant__stock=10).variants.get()
    cart = cart_for_user(user=user)
    cart_add(cart=cart, variant_id=variant.pk, quantity=quantity, user=user)
    return checkout_place_order(
        cart=cart,
        user=user,
        email=user.email,
        shipping_address=CHECKOUT_ADDRESS,
        shipping_method_id=None,
        payment_gateway="bank_transfer",
        adjustment_choices={CODE: choice},
    )


def test_quote_takes_the_chosen_points_at_the_point_value(member, program):
    quote = _quote(member, "200000", "1500")

    assert quote["amount"] == Decimal("15000")
    assert quote["data"] == {"points": 1500}
    assert "1500" in quote["label"]


def test_quote_is_capped_at_the_max_share_of_the_subtotal(member, program):
    # 50 % of 100,000 is 50,000 = 5,000 points, though 8,000 were asked for
    quote = _quote(member, "100000", "8000")

    assert quote["data"] == {"points": 5000}
    assert quote["amount"] == Decimal("50000")


def test_quote_is_capped_at_the_available_balance(member, program):
    # 10,000 points, a 1,000,000 order could take 50,000 of them
    quote = _quote(member, "1000000", "max")

    assert quote["data"] == {"points": 10_000}
    assert quote["amount"] == Decimal("100000")


def test_a_number_above_the_balance_is_quoted_and_refused_when_applied(member, program):
    # given 10,000 points and a choice of 20,000 on a 1,000,000 order
    quote = _quote(member, "1000000", "20000")
    assert quote["data"] == {"points": 20_000}

    # when the order applies it, then the member hears why, and nothing is spent
    with pytest.raises(ApplicationError) as refused:
        points_at_checkout.apply(
            order_id=1, user_id=member.pk, amount=quote["amount"], data=quote["data"]
        )
    assert refused.value.code == "insufficient_points"
    assert balance_of(user_id=member.pk).available == 10_000
    assert not CheckoutRedemption.objects.exists()


def test_the_checkout_field_offers_the_most_and_explains_a_choice_too_big(member, program):
    field = points_at_checkout.field(user=member, subtotal=Decimal("100000"), choice="20000")

    assert field["max"] == 5000 and field["min"] == 100
    assert field["toggle"]["value"] == "max"
    assert "10000" in field["error"]
    assert points_at_checkout.field(user=UserFactory(), subtotal=Decimal("1"), choice="") is None


def test_use_the_most_takes_the_smaller_of_share_and_balance(member, program):
    assert _quote(member, "30000", "max")["data"] == {"points": 1500}


def test_quote_below_the_minimum_points_takes_nothing(member, program):
    assert _quote(member, "200000", "99") is None
    # an order so small that its share is below the minimum
    assert _quote(member, "1000", "max") is None


def test_quote_for_no_choice_a_guest_or_nonsense_takes_nothing(member, program):
    from django.contrib.auth.models import AnonymousUser

    assert _quote(member, "200000", "") is None
    assert _quote(member, "200000", "lots") is None
    assert _quote(member, "200000", "-500") is None
    assert _quote(AnonymousUser(), "200000", "500") is None


def test_quote_for_a_member_without_points_takes_nothing(program):
    assert _quote(UserFactory(), "200000", "max") is None


def test_the_order_stores_the_points_line_and_the_points_are_spent(member, program):
    # when a member uses 2,000 points on a 200,000 order
    order = _place(member, choice="2000")

    # then
    assert order.total == Decimal("180000")
    line = order.adjustments.get()
    assert (line.code, line.amount) == (CODE, Decimal("20000"))
    assert line.data["points"] == 2000
    entry = LedgerEntry.objects.get(kind=EntryKind.REDEEM)
    assert line.data["entry_id"] == entry.pk
    assert (entry.points, entry.subject, entry.rule) == (-2000, f"order:{order.pk}", "checkout")
    assert balance_of(user_id=member.pk).available == 8000
    assert list(ledger_mismatches()) == []


def test_a_checkout_with_points_spent_meanwhile_is_refused_and_keeps_nothing(member, program):
    # given the quote saw 10,000 points, which are then spent elsewhere
    quoted = _quote(member, "200000", "2000")
    from loyalty.services.ledger import points_redeem

    points_redeem(user_id=member.pk, points=9000, subject="reward:x")

    # when the order applies the quoted points
    with pytest.raises(ApplicationError) as refused:
        points_at_checkout.apply(
            order_id=1, user_id=member.pk, amount=quoted["amount"], data=quoted["data"]
        )

    # then
    assert refused.value.code == "insufficient_points"
    assert not CheckoutRedemption.objects.exists()
    assert balance_of(user_id=member.pk).available == 1000


def test_cancelling_gives_the_points_back_once(member, program):
    order = _place(member, choice="2000")

    order_cancel(order_id=order.pk)
    with pytest.raises(ApplicationError):
        order_cancel(order_id=order.pk)

    assert balance_of(user_id=member.pk).available == 10_000
    refunds = LedgerEntry.objects.filter(kind=EntryKind.REFUND, subject=f"order:{order.pk}")
    assert [e.points for e in refunds] == [2000]
    assert list(ledger_mismatches()) == []


def test_a_full_refund_gives_the_points_back_once(member, program):
    order = _place(member, choice="2000")
    order_mark_paid(order_id=order.pk, payment_reference="BCA-1")

    order_refund(order_id=order.pk)

    assert balance_of(user_id=member.pk).available == 10_000
    assert LedgerEntry.objects.filter(kind=EntryKind.REFUND).count() == 1
    assert list(ledger_mismatches()) == []


def test_partial_refunds_give_back_pro_rata_and_all_of_it_in_the_end(member, program):
    # given a 180,000 order that used 2,000 points (20,000)
    order = _place(member, choice="2000")
    order_mark_paid(order_id=order.pk, payment_reference="BCA-1")

    # when a third of it is refunded, then another third, then the rest
    order_refund(order_id=order.pk, amount=Decimal("60000"))
    after_first = balance_of(user_id=member.pk).available
    order_refund(order_id=order.pk, amount=Decimal("60000"))
    order_refund(order_id=order.pk)

    # then a third came back first, and never a point more or less in total
    assert after_first == 8000 + 667
    refunds = list(
        LedgerEntry.objects.filter(kind=EntryKind.REFUND).values_list("points", flat=True)
    )
    assert sum(refunds) == 2000 and len(refunds) == 3
    assert balance_of(user_id=member.pk).available == 10_000
    assert list(ledger_mismatches()) == []


def test_a_cancelled_paid_order_refunded_later_gives_back_nothing_more(member, program):
    order = _place(member, choice="2000")
    order_mark_paid(order_id=order.pk, payment_reference="BCA-1")

    order_cancel(order_id=order.pk)
    order_refund(order_id=order.pk)

    assert balance_of(user_id=member.pk).available == 10_000
    assert LedgerEntry.objects.filter(kind=EntryKind.REFUND).count() == 1
    assert list(ledger_mismatches()) == []


def test_the_checkout_page_offers_points_to_a_member_who_has_them(member, program, client):
    # given a member with 10,000 points and a 200,000 cart
    variant = ProductFactory(variant__price=Decimal("100000"), variant__stock=10).variants.get()
    cart_add(cart=cart_for_user(user=member), variant_id=variant.pk, quantity=2, user=member)
    client.force_login(member)

    # when
    page = client.get(reverse("shop:checkout"))

    # then the points field is there, up to half the order (10,000 points)
    body = page.content.decode()
    assert 'name="adjustment-loyalty.points"' in body
    assert 'max="10000"' in body and 'value="max"' in body

    # and a member without points is not asked
    other = UserFactory()
    cart_add(cart=cart_for_user(user=other), variant_id=variant.pk, quantity=1, user=other)
    client.force_login(other)
    assert "adjustment-loyalty.points" not in client.get(reverse("shop:checkout")).content.decode()
