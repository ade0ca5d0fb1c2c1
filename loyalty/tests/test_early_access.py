"""Early access: drops open products to a tier, a badge's holders or every
signed-in member before the public launch; the shop's cart and checkout
(web and API) follow the answer, given once per request; members are told
once per drop."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory
from core.models import Notification
from loyalty.models import DropAudience, EarlyAccessDrop, EarlyAccessNotice
from loyalty.notifications import EARLY_ACCESS
from loyalty.selectors.early_access import early_access_product_ids
from loyalty.services import early_access as early_access_services
from loyalty.services.early_access import early_access_notify_due
from loyalty.tests.shop_rows import (
    cart_lines,
    launch,
    orders,
    product_create,
    shipping_method_create,
    variant_of,
)

pytestmark = pytest.mark.django_db

LATER = timedelta(days=3)
EARLIER = timedelta(hours=1)
PAGE = "/rewards/early-access/"
ADDRESS = {
    "full_name": "Siti Rahma",
    "phone": "+62 812 3456 7890",
    "line1": "Jl. Melati 12",
    "line2": "",
    "city": "Yogyakarta",
    "region": "DIY",
    "postal_code": "55281",
}


@pytest.fixture
def tiers(monkeypatch):
    """Tiers are another part of the program, written apart: this stands in
    for its answers to the two functions early access asks (Silver rank 1,
    Gold rank 2), with each member's rank set by the test."""
    ranks: dict[int, int] = {}
    monkeypatch.setattr(early_access_services, "tier_rank", {"silver": 1, "gold": 2}.get)
    monkeypatch.setattr(
        early_access_services,
        "member_tier_ranks",
        lambda user_ids: {pk: ranks[pk] for pk in user_ids if pk in ranks},
    )
    return ranks


def _drop(products, *, opens_in=-EARLIER, **kwargs) -> EarlyAccessDrop:
    return EarlyAccessDrop.objects.create(
        name=kwargs.pop("name", "Songket drop"),
        product_ids=[product.pk for product in products],
        opens_at=timezone.now() + opens_in,
        **kwargs,
    )


def _web(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _api(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def _web_add(client, variant, quantity=1):
    return client.post(reverse("shop:cart_add"), {"variant_id": variant.pk, "quantity": quantity})


def _web_checkout(client, user, shipping):
    page = client.get(reverse("shop:checkout"))
    if page.status_code != 200:
        return page
    return client.post(
        reverse("shop:checkout"),
        {
            "idempotency_key": page.context["form"]["idempotency_key"].value(),
            "email": user.email,
            **ADDRESS,
            "shipping_method": shipping.pk,
            "payment_method": "test_card",
            "card_number": "4242424242424242",
            "action": "place_order",
        },
    )


def _api_add(client, variant, quantity=1):
    return client.post(
        reverse("api:shop-cart-lines"), {"variant_id": variant.pk, "quantity": quantity}
    )


def _api_checkout(client, key):
    return client.post(
        reverse("api:shop-checkout"),
        {"shipping_address": ADDRESS, "payment_gateway": "bank_transfer"},
        format="json",
        HTTP_IDEMPOTENCY_KEY=key,
    )


# ------------------------------------------------------------ the answer
def test_a_drop_open_now_opens_its_unlaunched_products_to_every_signed_in_member():
    # given an open drop of two upcoming products and one already launched
    upcoming = [product_create(launch_at=timezone.now() + LATER) for _ in range(2)]
    launched = product_create(launch_at=timezone.now() - EARLIER)
    _drop([*upcoming, launched])
    member = UserFactory()

    # when
    ids = early_access_product_ids(member)

    # then
    assert ids == {product.pk for product in upcoming}


def test_a_drop_not_open_yet_or_switched_off_opens_nothing():
    product = product_create(launch_at=timezone.now() + LATER)
    _drop([product], opens_in=EARLIER)
    _drop([product], is_active=False)

    assert early_access_product_ids(UserFactory()) == set()


def test_a_tier_drop_opens_to_that_tier_and_above_and_a_badge_drop_to_its_holders(
    tiers, monkeypatch
):
    # given a Gold drop and a "trusted reviewer" drop
    gold_product = product_create(launch_at=timezone.now() + LATER)
    badge_product = product_create(launch_at=timezone.now() + LATER)
    _drop([gold_product], audience=DropAudience.TIER, tier="gold")
    _drop([badge_product], audience=DropAudience.BADGE, badge="trusted-reviewer")
    silver, gold, reviewer = UserFactory(), UserFactory(), UserFactory()
    tiers.update({silver.pk: 1, gold.pk: 2})
    monkeypatch.setattr(  # badges are written apart too; this stands in for them
        early_access_services,
        "member_badge_codes",
        lambda user_ids: {pk: {"trusted-reviewer"} for pk in user_ids if pk == reviewer.pk},
    )

    # when / then
    assert early_access_product_ids(silver) == set()
    assert early_access_product_ids(gold) == {gold_product.pk}
    assert early_access_product_ids(reviewer) == {badge_product.pk}


def test_without_the_tier_module_a_tier_drop_opens_to_no_one():
    product = product_create(launch_at=timezone.now() + LATER)
    _drop([product], audience=DropAudience.TIER, tier="gold")

    assert early_access_product_ids(UserFactory()) == set()


def test_the_answer_costs_two_queries_and_is_kept_for_the_request(
    django_assert_num_queries,
):
    # given several open drops
    for _ in range(3):
        _drop([product_create(launch_at=timezone.now() + LATER) for _ in range(3)])
    member = UserFactory()

    # when / then: the drops and the shop's launch dates, once
    with django_assert_num_queries(2):
        first = early_access_product_ids(member)
        second = early_access_product_ids(member)
    assert first == second and len(first) == 9


# ------------------------------------------- the shop follows the answer
def test_before_launch_a_member_below_the_tier_is_refused_at_cart_and_checkout_on_the_web(
    tiers, django_capture_on_commit_callbacks
):
    # given a Gold drop of an upcoming product, a Silver member who put it in
    # the cart while a signed-in drop of it was open, and that drop closed
    shipping = shipping_method_create()
    product = product_create(launch_at=timezone.now() + LATER)
    variant = variant_of(product)
    _drop([product], audience=DropAudience.TIER, tier="gold")
    everyone = _drop([product], name="Everyone, briefly")
    silver, gold = UserFactory(), UserFactory()
    tiers.update({silver.pk: 1, gold.pk: 2})
    silver_client = _web(silver)
    assert _web_add(silver_client, variant).status_code == 302
    EarlyAccessDrop.objects.filter(pk=everyone.pk).update(is_active=False)
    before = list(cart_lines(silver).values_list("variant_id", "quantity"))

    # when
    added = _web_add(silver_client, variant, 2)
    with django_capture_on_commit_callbacks(execute=True):
        checkout = _web_checkout(silver_client, silver, shipping)

    # then: refused, nothing added, ordered or held
    assert added.status_code == 409
    assert checkout.status_code == 302
    assert checkout["Location"] == reverse("shop:cart")
    assert list(cart_lines(silver).values_list("variant_id", "quantity")) == before
    assert not orders().exists()
    variant.refresh_from_db()
    assert variant.reserved == 0

    # and when a Gold member buys it
    gold_client = _web(gold)
    assert _web_add(gold_client, variant, 2).status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        placed = _web_checkout(gold_client, gold, shipping)

    # then
    assert placed.status_code == 302
    order = orders().get()
    assert order.user == gold
    assert order.lines.get().variant_id == variant.pk


def test_before_launch_a_member_below_the_tier_is_refused_through_the_api_and_gold_buys(
    tiers,
):
    # given
    product = product_create(launch_at=timezone.now() + LATER)
    variant = variant_of(product)
    _drop([product], audience=DropAudience.TIER, tier="gold")
    everyone = _drop([product], name="Everyone, briefly")
    silver, gold = UserFactory(), UserFactory()
    tiers.update({silver.pk: 1, gold.pk: 2})
    silver_api = _api(silver)
    assert _api_add(silver_api, variant).status_code == 201
    EarlyAccessDrop.objects.filter(pk=everyone.pk).update(is_active=False)

    # when
    refused_add = _api_add(silver_api, variant, 2)
    refused_checkout = _api_checkout(silver_api, "silver-1")
    gold_api = _api(gold)
    added = _api_add(gold_api, variant, 2)
    placed = _api_checkout(gold_api, "gold-1")

    # then
    assert refused_add.status_code == 409
    assert refused_add.json()["code"] == "not_purchasable"
    assert refused_checkout.status_code == 409
    assert refused_checkout.json()["code"] == "not_purchasable"
    assert list(cart_lines(silver).values_list("quantity", flat=True)) == [1]
    assert added.status_code == 201
    assert placed.status_code == 201, placed.content
    order = orders().get()
    assert order.user == gold
    variant.refresh_from_db()
    assert variant.reserved == 2


def test_after_the_launch_every_member_buys_it(tiers):
    # given a Gold drop whose product has launched
    product = product_create(launch_at=timezone.now() + LATER)
    _drop([product], audience=DropAudience.TIER, tier="gold")
    launch(product, timezone.now() - EARLIER)
    member = UserFactory()
    client = _api(member)

    # when
    added = _api_add(client, variant_of(product))
    placed = _api_checkout(client, "after-launch")

    # then
    assert added.status_code == 201
    assert placed.status_code == 201, placed.content
    assert orders().get().user == member


# ------------------------------------------------------------------ page
def test_the_page_lists_what_is_open_and_what_a_higher_tier_unlocks(client, tiers):
    # given
    open_product = product_create(launch_at=timezone.now() + LATER, name="Batik Parang")
    gold_product = product_create(launch_at=timezone.now() + LATER, name="Songket Gold")
    soon_product = product_create(launch_at=timezone.now() + LATER, name="Tenun Ikat")
    launched = product_create(launch_at=timezone.now() - EARLIER, name="Old Lurik")
    _drop([open_product, launched], name="Members' batik")
    _drop([gold_product], name="Gold songket", audience=DropAudience.TIER, tier="gold")
    _drop([soon_product], name="Next week's tenun", opens_in=EARLIER)
    member = UserFactory()
    tiers[member.pk] = 1
    client.force_login(member)

    # when
    response = client.get(PAGE)

    # then
    assert response.status_code == 200
    page = response.context
    assert [card.name for card in page["open_drops"]] == ["Members' batik"]
    assert [card.name for card in page["soon_drops"]] == ["Next week's tenun"]
    assert [card.name for card in page["locked_drops"]] == ["Gold songket"]
    html = response.content.decode()
    assert open_product.get_absolute_url() in html
    assert "Songket Gold" in html and gold_product.get_absolute_url() not in html
    assert "Unlocks at gold and above" in html
    assert "Old Lurik" not in html


def test_the_page_asks_for_a_signed_in_member(client):
    response = client.get(PAGE)

    assert response.status_code == 302
    assert "login" in response["Location"]


def test_the_page_costs_the_same_queries_for_one_drop_or_many(client, django_assert_num_queries):
    # given the page seen with one drop of one product
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    member = UserFactory()
    client.force_login(member)
    _drop([product_create(launch_at=timezone.now() + LATER)])
    badge_drop = _drop(
        [product_create(launch_at=timezone.now() + LATER)],
        audience=DropAudience.BADGE,
        badge="trusted-reviewer",
    )
    client.get(PAGE)
    with CaptureQueriesContext(connection) as one:
        client.get(PAGE)
    one_drop = len(one)
    for opens_in in (-EARLIER, EARLIER, -EARLIER):
        _drop(
            [product_create(launch_at=timezone.now() + LATER) for _ in range(3)],
            opens_in=opens_in,
        )
    badge_drop.product_ids = [
        *badge_drop.product_ids,
        product_create(launch_at=timezone.now() + LATER).pk,
    ]
    badge_drop.save()

    # when / then
    with django_assert_num_queries(one_drop):
        response = client.get(PAGE)
    shown = sum(len(response.context[key]) for key in ("open_drops", "soon_drops", "locked_drops"))
    assert shown == 5


# -------------------------------------------------------- notifications
def test_members_are_told_once_when_a_drop_opens_even_if_the_task_runs_twice(tiers):
    # given an open Silver drop, two Silver members, a Gold one and a member
    # without a tier; and a drop not open yet
    product = product_create(launch_at=timezone.now() + LATER)
    drop = _drop([product], audience=DropAudience.TIER, tier="silver")
    _drop([product_create(launch_at=timezone.now() + LATER)], opens_in=EARLIER)
    silver_one, silver_two, gold, none = (UserFactory() for _ in range(4))
    tiers.update({silver_one.pk: 1, silver_two.pk: 1, gold.pk: 2})

    # when, in batches of two
    first = early_access_notify_due(batch_size=2)
    second = early_access_notify_due(batch_size=2)

    # then
    told = {silver_one.pk, silver_two.pk, gold.pk}
    assert (first, second) == (3, 0)
    assert set(EarlyAccessNotice.objects.values_list("user_id", flat=True)) == told
    notifications = Notification.objects.filter(kind=EARLY_ACCESS)
    assert sorted(notifications.values_list("recipient_id", flat=True)) == sorted(told)
    assert notifications.first().url == PAGE
    assert none.pk not in set(notifications.values_list("recipient_id", flat=True))
    assert EarlyAccessNotice.objects.filter(drop=drop).count() == 3


def test_a_member_who_reaches_the_tier_later_is_told_on_a_later_run(tiers):
    product = product_create(launch_at=timezone.now() + LATER)
    _drop([product], audience=DropAudience.TIER, tier="gold")
    member = UserFactory()
    tiers[member.pk] = 1
    assert early_access_notify_due() == 0

    tiers[member.pk] = 2
    assert early_access_notify_due() == 1
    assert early_access_notify_due() == 0


def test_no_one_is_told_of_a_drop_whose_products_have_launched():
    product = product_create(launch_at=timezone.now() - EARLIER)
    _drop([product])
    UserFactory()

    assert early_access_notify_due() == 0
    assert not EarlyAccessNotice.objects.exists()
    assert not Notification.objects.filter(kind=EARLY_ACCESS).exists()
