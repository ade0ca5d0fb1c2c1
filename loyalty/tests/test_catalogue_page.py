"""The rewards catalogue: members see the rewards on offer and buy them with
points; a visitor is asked to sign in; "My rewards" lists the codes bought,
ready, used (on which order) or expired. Free-shipping rewards take the
order's shipping off at checkout."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format

from accounts.tests.factories import UserFactory
from loyalty.models import (
    EntryKind,
    LedgerEntry,
    RedemptionStatus,
    Reward,
    RewardKind,
    RewardRedemption,
)
from loyalty.selectors.ledger import balance_of, ledger_mismatches
from loyalty.services.ledger import points_award
from loyalty.services.rewards import reward_at_checkout, reward_buy
from shop.models import Order, ShippingMethod
from shop.services.cart import cart_add, cart_for_user
from shop.services.checkout import checkout_place_order
from shop.services.orders import order_cancel
from shop.tests.factories import CHECKOUT_ADDRESS, ProductFactory, ShippingMethodFactory

pytestmark = pytest.mark.django_db

CATALOGUE = reverse("loyalty:catalogue")


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    with translation.override("en"):
        yield


def _reward(**kwargs) -> Reward:
    values = {"name": "Rp 25.000 off", "kind": RewardKind.FIXED, "value": Decimal("25000")}
    return Reward.objects.create(**{**values, "points_price": 1000, **kwargs})


def _member(client, points: int = 5000):
    member = UserFactory()
    if points:
        points_award(user_id=member.pk, rule="adjust", subject="gift", points=points)
    client.force_login(member)
    return member


def _redeem_url(reward) -> str:
    return reverse("loyalty:reward_redeem", args=[reward.pk])


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _place(user, code: str, *, shipping_method=None, price: str = "100000") -> Order:
    variant = ProductFactory(variant__price=Decimal(price), variant__stock=10).variants.get()
    cart = cart_for_user(user=user)
    cart_add(cart=cart, variant_id=variant.pk, quantity=2, user=user)
    return checkout_place_order(
        cart=cart,
        user=user,
        email=user.email,
        shipping_address=CHECKOUT_ADDRESS,
        shipping_method_id=shipping_method.pk if shipping_method else None,
        payment_gateway="bank_transfer",
        adjustment_choices={"loyalty.reward": code},
    )


# ------------------------------------------------------------------ the page
def test_a_visitor_sees_the_rewards_and_a_sign_in_prompt_instead_of_buttons(
    client, django_assert_max_num_queries
):
    # given two rewards on offer, one ended, one inactive
    _reward(name="Rp 25.000 off", description="Any order from the shop.")
    _reward(name="Free delivery", kind=RewardKind.FREE_SHIPPING, value=None, points_price=800)
    _reward(name="Last year's offer", ends_at=timezone.now() - timedelta(days=1))
    _reward(name="Switched off", is_active=False)

    # when
    with django_assert_max_num_queries(4):
        response = client.get(CATALOGUE)

    # then
    html = response.content.decode()
    assert response.status_code == 200
    assert "Rp 25.000 off" in html and "Any order from the shop." in html
    assert "Free delivery" in html and "Free shipping on one order" in html
    assert "Last year&#x27;s offer" not in html and "Switched off" not in html
    assert "Sign in to redeem your points" in html
    assert html.count("Sign in to redeem</a>") == 2
    assert 'method="post" action="/rewards/catalogue/' not in html
    assert "My rewards" not in html


def test_a_member_sees_their_points_prices_limits_and_stock(client, django_assert_max_num_queries):
    # given a member with 5,000 points
    member = _member(client)
    cheap = _reward(name="Small", points_price=1000, stock=3, limit_per_member=2)
    dear = _reward(name="Big", points_price=6000)
    gone = _reward(name="Gone", points_price=500, stock=1)
    Reward.objects.filter(pk=gone.pk).update(bought_count=1)  # someone bought the last one
    reward_buy(reward_id=cheap.pk, user=member)

    # when
    with django_assert_max_num_queries(9):
        response = client.get(CATALOGUE)

    # then the page shows the balance, what each gives and costs, and why a
    # reward cannot be bought
    html = response.content.decode()
    assert "You have <strong>4,000</strong> points to spend." in html
    assert "Rp\N{NO-BREAK SPACE}25,000 off one order" in html
    assert "2 left" in html and "Sold out" in html
    assert "At most 2 per member · you bought 1" in html
    assert f'action="{_redeem_url(cheap)}"' in html
    assert "Redeem for 1,000 points" in html
    assert f'action="{_redeem_url(dear)}"' not in html
    assert "You need 2,000 more points." in html
    assert f'action="{_redeem_url(gone)}"' not in html
    assert "This reward is sold out." in html
    assert 'name="csrfmiddlewaretoken"' in html


def test_the_page_reads_a_fixed_number_of_queries_whatever_the_member_holds(
    client, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    member = _member(client, points=100_000)
    _reward(name="First")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(CATALOGUE).status_code == 200
        return len(queries)

    few = count()
    # when the catalogue and the member's codes grow
    for n in range(8):
        reward = _reward(name=f"Reward {n}", points_price=100 + n, limit_per_member=5)
        reward_buy(reward_id=reward.pk, user=member)
        reward_buy(reward_id=reward.pk, user=member)

    # then the page still reads the same number of queries
    assert count() == few


# ------------------------------------------------------------------ buying
def test_redeeming_takes_the_points_and_shows_the_code_with_how_to_use_it(client):
    # given
    member = _member(client)
    reward = _reward(name="Rp 25.000 off", valid_days=30)

    # when
    response = client.post(_redeem_url(reward))

    # then the points are spent, a code issued, and the page shows it
    redemption = RewardRedemption.objects.get()
    assert (redemption.user, redemption.status) == (member, RedemptionStatus.ISSUED)
    assert response.status_code == 302
    assert response["Location"] == f"{CATALOGUE}?bought={redemption.code}#bought"
    assert _messages(response) == ["You bought “Rp 25.000 off” for 1,000 points."]
    assert balance_of(user_id=member.pk).available == 4000
    assert list(ledger_mismatches()) == []
    page = client.get(response["Location"]).content.decode()
    assert "Your code is ready" in page
    assert f'id="reward-code" class="key-field reward-code" value="{redemption.code}"' in page
    assert "Type the code in the “Reward code” field." in page
    assert f"Use it by {date_format(timezone.localtime(redemption.expires_at))}." in page
    assert "You have <strong>4,000</strong> points to spend." in page


@pytest.mark.parametrize(
    ("reward_kwargs", "message"),
    [
        ({"points_price": 6000}, "Not enough points: you have 5000 and this needs 6000."),
        ({"stock": 0}, "This reward is sold out."),
        ({"is_active": False}, "This reward is not on offer."),
    ],
)
def test_a_refused_redemption_says_why_and_loses_nothing(client, reward_kwargs, message):
    member = _member(client)
    reward = _reward(**reward_kwargs)

    response = client.post(_redeem_url(reward), follow=True)

    assert response.redirect_chain == [(CATALOGUE, 302)]
    assert message in response.content.decode()
    assert 'class="message message-error"' in response.content.decode()
    assert not RewardRedemption.objects.exists()
    assert not LedgerEntry.objects.filter(kind=EntryKind.REDEEM).exists()
    assert balance_of(user_id=member.pk).available == 5000
    reward.refresh_from_db()
    assert reward.bought_count == 0


def test_an_unknown_reward_is_refused_with_a_message(client):
    member = _member(client)

    response = client.post(reverse("loyalty:reward_redeem", args=[999_999]))

    assert response.status_code == 302
    assert _messages(response) == ["This reward is not on offer."]
    assert balance_of(user_id=member.pk).available == 5000


def test_a_visitor_who_redeems_is_sent_to_sign_in_and_buys_nothing(client):
    reward = _reward()

    response = client.post(_redeem_url(reward))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert "next=/rewards/catalogue/" in response["Location"]
    assert not RewardRedemption.objects.exists()


def test_redeeming_needs_a_post_with_the_csrf_token():
    # given a member whose browser sends no CSRF token
    strict = Client(enforce_csrf_checks=True)
    member = UserFactory()
    points_award(user_id=member.pk, rule="adjust", subject="gift", points=5000)
    strict.force_login(member)
    reward = _reward()

    # when
    forged = strict.post(_redeem_url(reward))
    fetched = strict.get(_redeem_url(reward))

    # then
    assert forged.status_code == 403
    assert fetched.status_code == 405
    assert not RewardRedemption.objects.exists()
    assert balance_of(user_id=member.pk).available == 5000


def test_someone_elses_code_is_not_shown_as_bought(client):
    _member(client)
    theirs = reward_buy(reward_id=_reward().pk, user=_member(Client()))

    page = client.get(f"{CATALOGUE}?bought={theirs.code}").content.decode()

    assert "Your code is ready" not in page
    assert f'value="{theirs.code}"' not in page
    assert f'<code class="reward-code">{theirs.code}</code>' not in page


# ------------------------------------------------------------------ my rewards
def test_my_rewards_lists_ready_used_and_expired_codes_with_the_order(
    client, django_capture_on_commit_callbacks
):
    # given three codes: one used on an order, one expired, one ready
    member = _member(client)
    used = reward_buy(reward_id=_reward(name="Used one").pk, user=member)
    expired = reward_buy(reward_id=_reward(name="Old one", valid_days=5).pk, user=member)
    RewardRedemption.objects.filter(pk=expired.pk).update(
        expires_at=timezone.now() - timedelta(days=1)
    )
    ready = reward_buy(reward_id=_reward(name="Ready one").pk, user=member)
    with django_capture_on_commit_callbacks(execute=True):
        order = _place(member, used.code)

    # when
    html = client.get(CATALOGUE).content.decode()

    # then
    rows = re.findall(r'<tr class="is-(\w+)[^"]*">\s*<td[^>]*><code[^>]*>([^<]+)</code>', html)
    assert {code: state for state, code in rows} == {
        used.code: "used",
        expired.code: "expired",
        ready.code: "unused",
    }
    assert f'<a href="{order.get_absolute_url()}">{order.number}</a>' in html
    assert ">Ready to use<" in html and ">Used<" in html and ">Expired<" in html
    assert "1 code ready to use" in html


def test_a_code_freed_by_a_cancelled_order_is_ready_again_and_names_no_order(
    client, django_capture_on_commit_callbacks
):
    member = _member(client)
    redemption = reward_buy(reward_id=_reward(valid_days=3).pk, user=member)
    with django_capture_on_commit_callbacks(execute=True):
        order = _place(member, redemption.code)
    # the code was about to expire when the order was cancelled
    RewardRedemption.objects.filter(pk=redemption.pk).update(
        expires_at=timezone.now() + timedelta(hours=1)
    )

    with django_capture_on_commit_callbacks(execute=True):
        order_cancel(order_id=order.pk)

    redemption.refresh_from_db()
    assert (redemption.status, redemption.order_id, redemption.order_number) == (
        RedemptionStatus.ISSUED,
        None,
        "",
    )
    assert redemption.expires_at >= timezone.now() + timedelta(days=6)
    html = client.get(CATALOGUE).content.decode()
    assert order.number not in html
    assert "1 code ready to use" in html


def test_the_order_number_is_noted_once_per_delivery_of_the_event(
    client, django_capture_on_commit_callbacks
):
    from core.models import OutboxDelivery
    from core.services import outbox_deliver_events

    member = _member(client)
    redemption = reward_buy(reward_id=_reward().pk, user=member)
    with django_capture_on_commit_callbacks(execute=True):
        order = _place(member, redemption.code)
    deliveries = OutboxDelivery.objects.filter(handler="loyalty.reward_order_number")
    assert deliveries.count() == 1

    # when the event is delivered again
    deliveries.update(status=OutboxDelivery.Status.PENDING, attempts=0)
    outbox_deliver_events(event_ids=[deliveries.get().event_id])

    redemption.refresh_from_db()
    assert redemption.order_number == order.number


# ------------------------------------------------------------------ expiry
def test_an_expired_code_is_not_taken_at_checkout(client):
    member = _member(client)
    redemption = reward_buy(reward_id=_reward(valid_days=10).pk, user=member)
    assert redemption.expires_at is not None
    RewardRedemption.objects.filter(pk=redemption.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )

    quote = reward_at_checkout.quote(
        user=member, subtotal=Decimal("200000"), choice=redemption.code
    )
    order = _place(member, redemption.code)

    assert quote is None
    assert not order.adjustments.exists()
    assert order.total == Decimal("200000")


# ------------------------------------------------------------------ free shipping
def test_a_free_shipping_code_takes_the_orders_shipping_off(client):
    # given a member's free-shipping code and an order sent by JNE (18,000)
    member = _member(client)
    reward = _reward(name="Free delivery", kind=RewardKind.FREE_SHIPPING, value=None)
    redemption = reward_buy(reward_id=reward.pk, user=member)
    jne = ShippingMethodFactory(name="JNE Reguler", price=Decimal("18000"))

    # when
    order = _place(member, redemption.code, shipping_method=jne)

    # then the goods cost what they cost and the shipping comes off
    assert (order.subtotal, order.shipping_total, order.total) == (
        Decimal("200000"),
        Decimal("18000"),
        Decimal("200000"),
    )
    line = order.adjustments.get()
    assert (line.code, line.label, line.amount) == (
        "loyalty.reward",
        "Free delivery",
        Decimal("18000"),
    )
    assert order.coupon_discount == Decimal("0")
    redemption.refresh_from_db()
    assert (redemption.status, redemption.order_amount) == (RedemptionStatus.USED, Decimal("18000"))
    # ...and nothing was paid for shipping, so the order's points are on all of it
    from shop.services.adjustments import shipping_paid

    assert shipping_paid(order) == Decimal("0")


def test_a_free_shipping_reward_with_a_value_takes_up_to_it_and_keeps_the_minimum(client):
    member = _member(client)
    reward = _reward(
        kind=RewardKind.FREE_SHIPPING, value=Decimal("10000"), minimum_subtotal=Decimal("150000")
    )
    code = reward_buy(reward_id=reward.pk, user=member).code

    capped = reward_at_checkout.quote(
        user=member, subtotal=Decimal("200000"), choice=code, shipping=Decimal("18000")
    )
    small_order = reward_at_checkout.quote(
        user=member, subtotal=Decimal("100000"), choice=code, shipping=Decimal("18000")
    )

    assert (capped["amount"], capped["off"]) == (Decimal("10000"), "shipping")
    assert small_order is None


def test_the_checkout_field_says_when_an_order_has_no_shipping_to_take_off(client):
    member = _member(client)
    code = reward_buy(
        reward_id=_reward(kind=RewardKind.FREE_SHIPPING, value=None).pk, user=member
    ).code

    pickup = reward_at_checkout.field(
        user=member, subtotal=Decimal("200000"), choice=code, shipping=Decimal("0")
    )
    delivered = reward_at_checkout.field(
        user=member, subtotal=Decimal("200000"), choice=code, shipping=Decimal("18000")
    )

    assert pickup["error"] == (
        "This order has no shipping to pay: keep the code for an order that has."
    )
    assert delivered["error"] == ""


def test_the_checkout_page_takes_a_free_shipping_code_off_the_shipping(client):
    # given a member with a free-shipping code and a cart
    member = _member(client)
    code = reward_buy(
        reward_id=_reward(name="Free delivery", kind=RewardKind.FREE_SHIPPING, value=None).pk,
        user=member,
    ).code
    jne = ShippingMethodFactory(name="JNE Reguler", price=Decimal("18000"))
    ShippingMethodFactory(name="Pick up", kind=ShippingMethod.Kind.PICKUP, price=0)
    variant = ProductFactory(variant__price=Decimal("100000"), variant__stock=5).variants.get()
    client.post(reverse("shop:cart_add"), {"variant_id": variant.pk, "quantity": 1})

    # when the summary is asked with the code and JNE
    summary = client.post(
        reverse("shop:checkout_summary"),
        {"shipping_method": jne.pk, "adjustment-loyalty.reward": code},
        HTTP_HX_REQUEST="true",
    )

    # then it lists the shipping and takes it off again
    quote = summary.context["quote"]
    assert (quote.shipping_total, quote.total) == (Decimal("18000"), Decimal("100000"))
    assert "Discount (Free delivery)" in summary.content.decode()


def test_a_reward_needs_its_value_unless_it_is_free_shipping():
    with pytest.raises(ValidationError) as refused:
        Reward(name="No value", kind=RewardKind.FIXED, points_price=100).full_clean()
    assert "value" in refused.value.message_dict
    Reward(name="Free", kind=RewardKind.FREE_SHIPPING, points_price=100).full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        Reward.objects.create(name="No value", kind=RewardKind.PERCENT, points_price=100)


# ------------------------------------------------------------------ links, language
def test_the_rewards_page_links_to_the_catalogue_for_members_and_visitors(client):
    visitor = client.get(reverse("loyalty:index")).content.decode()
    _member(client)
    member = client.get(reverse("loyalty:index")).content.decode()

    assert f'href="{CATALOGUE}"' in visitor
    assert f'href="{CATALOGUE}">Redeem for rewards</a>' in member


def test_the_catalogue_speaks_indonesian(client):
    _member(client)
    Reward.objects.create(
        name="Rp 25.000 off",
        name_ind="Potongan Rp 25.000",
        kind=RewardKind.FIXED,
        value=Decimal("25000"),
        points_price=1500,
    )

    with translation.override("id"):
        url = reverse("loyalty:catalogue")
    html = client.get(url).content.decode()

    assert url == "/id/rewards/catalogue/"
    assert '<html lang="id"' in html
    assert "Katalog hadiah" in html
    assert "Potongan Rp 25.000" in html
    assert "Tukar dengan 1.500 poin" in html
    assert "Hadiah saya" in html


def test_the_checkout_field_says_when_a_code_has_expired(client):
    member = _member(client)
    redemption = reward_buy(reward_id=_reward(valid_days=10).pk, user=member)
    ended = timezone.now() - timedelta(days=1)
    RewardRedemption.objects.filter(pk=redemption.pk).update(expires_at=ended)

    field = reward_at_checkout.field(
        user=member, subtotal=Decimal("200000"), choice=redemption.code, shipping=Decimal("0")
    )

    # the member holds no usable code any more: the field is not asked
    assert field is None
    other = reward_buy(reward_id=_reward().pk, user=member)
    field = reward_at_checkout.field(
        user=member, subtotal=Decimal("200000"), choice=redemption.code, shipping=Decimal("0")
    )
    assert (
        field["error"] == f"This reward code expired on {date_format(timezone.localtime(ended))}."
    )
    assert other.code != redemption.code


def test_a_percentage_shows_without_decimals_and_a_fixed_reward_ignores_the_shipping(client):
    member = _member(client)
    _reward(name="Tenth", kind=RewardKind.PERCENT, value=Decimal("10.00"))
    _reward(name="Half", kind=RewardKind.PERCENT, value=Decimal("12.50"))
    code = reward_buy(reward_id=_reward().pk, user=member).code

    html = client.get(CATALOGUE).content.decode()
    field = reward_at_checkout.field(
        user=member, subtotal=Decimal("200000"), choice=code, shipping=Decimal("0")
    )

    assert "10% off one order" in html and "12.5% off one order" in html
    assert field["error"] == ""
