"""The rewards program's demo data: `seed_demo` defines the program, the demo
shoppers' orders and posts earn their points through the events the outbox
delivers, their balances reconcile with the ledger, and a second run changes
nothing."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import F, Sum
from django.utils import timezone

from accounts.demo import DEMO_USERS, seed_users
from accounts.tests.factories import UserFactory
from community.demo.qa import seed_qa
from community.demo.reviews import seed_reviews
from core.events import quiet
from core.models import OutboxDelivery
from core.services import outbox_deliver_quiet
from loyalty.demo import DROP_NAME, seed_activity, seed_program
from loyalty.models import (
    Award,
    Badge,
    Challenge,
    ChallengeCompletion,
    DeliveredOrder,
    DropAudience,
    EarlyAccessDrop,
    EarningRule,
    EntryKind,
    LedgerEntry,
    MemberBadge,
    MemberTier,
    PointsAccount,
    Reward,
    Tier,
)
from loyalty.selectors.leaderboards import ALL_TIME, leaderboard, redis_client
from loyalty.selectors.ledger import ledger_mismatches
from loyalty.services.early_access import unlaunched_product_ids
from loyalty.services.ledger import points_award
from loyalty.services.rules import earning_rules_ensure
from loyalty.tests.shop_rows import launch, product_create
from shop.demo import seed_shop

pytestmark = pytest.mark.django_db

SHOPPERS = [email for email, _name, staff in DEMO_USERS if not staff]


@pytest.fixture
def boards():
    """The leaderboards' Redis, emptied before and after (None without one)."""
    client = redis_client()
    if client is not None:
        client.flushdb()
    yield client
    if client is not None:
        client.flushdb()


def _state() -> dict:
    return {
        "balances": sorted(
            PointsAccount.objects.values_list(
                "user_id", "available", "pending", "debt", "earned_total"
            )
        ),
        "entries": sorted(LedgerEntry.objects.values_list("pk", flat=True)),
        "awards": sorted(Award.objects.values_list("pk", "net", "released_at")),
        "badges": sorted(MemberBadge.objects.values_list("user_id", "badge_id")),
        "tiers": sorted(MemberTier.objects.values_list("user_id", "tier_id", "qualifying")),
        "program": (
            EarningRule.objects.count(),
            Tier.objects.count(),
            Badge.objects.count(),
            Challenge.objects.count(),
            Reward.objects.count(),
            list(EarlyAccessDrop.objects.values_list("name", "product_ids", "opens_at")),
        ),
    }


def _ledger_balance(user) -> tuple[int, int]:
    sums = dict(
        LedgerEntry.objects.filter(user=user)
        .values("bucket")
        .annotate(total=Sum("points"))
        .values_list("bucket", "total")
    )
    return sums.get("available", 0), sums.get("pending", 0)


def test_seed_demo_earns_the_shoppers_points_through_their_events_and_a_second_run_changes_nothing(
    boards, django_capture_on_commit_callbacks
):
    # when: the demo loads, then loads again
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", stdout=out)
    first = _state()
    again = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", stdout=again)

    # then: every balance is what the ledger adds up to
    assert list(ledger_mismatches()) == []
    shoppers = list(get_user_model().objects.filter(email__in=SHOPPERS))
    assert len(shoppers) == len(SHOPPERS) == 3
    accounts = {a.user_id: a for a in PointsAccount.objects.filter(user__in=shoppers)}
    for user in shoppers:
        account = accounts[user.pk]
        assert (account.available, account.pending) == _ledger_balance(user)
        assert account.available > 0
    assert any(account.pending > 0 for account in accounts.values())

    # and every point earned came from an event the outbox delivered
    earned = LedgerEntry.objects.filter(kind=EntryKind.EARN).exclude(rule="challenge")
    assert earned.filter(rule="purchase").exists() and earned.filter(rule="review").exists()
    assert not earned.filter(source_event_id__isnull=True).exists()
    event_ids = set(earned.values_list("source_event_id", flat=True))
    delivered_events = OutboxDelivery.objects.filter(
        event_id__in=event_ids, status=OutboxDelivery.Status.DELIVERED
    ).values_list("event_id", flat=True)
    assert set(delivered_events) == event_ids
    assert not OutboxDelivery.objects.exclude(status=OutboxDelivery.Status.DELIVERED).exists()

    # and the delivered orders' points are released, the others' still pending
    purchases = Award.objects.filter(rule="purchase")
    delivered = set(DeliveredOrder.objects.values_list("order_id", flat=True))
    assert delivered
    assert not purchases.filter(hold_order_id__in=delivered, released_at__isnull=True).exists()
    on_the_way = purchases.exclude(hold_order_id__in=delivered)
    assert on_the_way.exists()
    assert not on_the_way.filter(released_at__isnull=False).exists()

    # and the shoppers hold badges and tiers, one above the base tier
    assert MemberBadge.objects.filter(user__in=shoppers).values("user").distinct().count() == 3
    assert MemberTier.objects.filter(user__in=shoppers, tier__isnull=False).count() == 3
    assert MemberTier.objects.filter(user__in=shoppers, tier__threshold__gt=0).exists()
    assert ChallengeCompletion.objects.filter(user__in=shoppers).exists()

    # and the leaderboard ranks them (staff never), from Redis once rebuilt
    board = leaderboard(scope=ALL_TIME)
    assert {place.user_id for place in board.top} == {user.pk for user in shoppers}
    if boards is not None:
        assert board.source == "redis"

    # and the program is defined in both languages
    assert not Tier.objects.filter(description_ind="").exists()
    assert not Badge.objects.filter(name_ind="").exists()
    assert Challenge.objects.filter(name_ind="Jawab tiga pertanyaan bulan ini").exists()
    assert Reward.objects.count() == 3

    # and the early-access drop opens a product still to launch to VIB and above
    drop = EarlyAccessDrop.objects.get(name=DROP_NAME)
    assert (drop.audience, drop.tier) == (DropAudience.TIER, "vib")
    assert len(drop.product_ids) == 1
    assert unlaunched_product_ids(drop.product_ids, now=timezone.now()) == set(drop.product_ids)

    # and the second run changed nothing
    assert _state() == first
    assert "the ledger reconciles" in out.getvalue()
    assert "Rewards for orders: 0 event deliveries, 0 orders' points" in again.getvalue()
    assert "Rewards for posts: 0 event deliveries;" in again.getvalue()


def test_a_demo_delivered_before_the_program_existed_gets_its_badges_and_tiers(boards):
    # given: the demo's shoppers, orders and reviews, their events delivered
    # while the program had its earning rules (the migration's) but no tiers
    # or badges (a demo loaded by older code)
    earning_rules_ensure()
    out = io.StringIO()
    with quiet():
        seed_users(out)
        seed_shop(out, products=45)
        seed_reviews(out)
        seed_qa(out)
        outbox_deliver_quiet()
    assert PointsAccount.objects.filter(available__gt=0).count() == 3
    assert not MemberBadge.objects.exists()
    assert not MemberTier.objects.exists()
    entries = LedgerEntry.objects.count()

    # when
    with quiet():
        seed_program(out)
        seed_activity(out)

    # then: the badges they qualify for, and a tier each; points only released
    assert MemberBadge.objects.filter(badge__code="first-review").count() == 3
    assert MemberTier.objects.filter(tier__isnull=False).count() == 3
    new_kinds = set(LedgerEntry.objects.order_by("pk").values_list("kind", "rule")[entries:])
    assert new_kinds <= {(EntryKind.RELEASE, "purchase"), (EntryKind.EARN, "challenge")}
    assert list(ledger_mismatches()) == []


def test_the_load_fails_loudly_when_the_ledger_does_not_reconcile():
    # given: a cached balance the ledger does not add up to
    member = UserFactory()
    points_award(user_id=member.pk, rule="review", subject="review:1", points=20)
    PointsAccount.objects.filter(user=member).update(available=F("available") + 5)

    # when
    with pytest.raises(CommandError) as refused:
        seed_activity(io.StringIO())

    # then
    assert "does not reconcile" in str(refused.value)
    assert f"account {member.pk}: available is 25, the ledger says 20" in str(refused.value)


def test_the_demo_drop_moves_to_a_product_still_to_launch_once_its_own_launched():
    # given: the demo drop, whose product has launched since
    now = timezone.now()
    launched = product_create(launch_at=now + timedelta(days=2))
    seed_program(io.StringIO())
    seed_activity(io.StringIO())
    drop = EarlyAccessDrop.objects.get(name=DROP_NAME)
    assert drop.product_ids == [launched.pk]
    launch(launched, now - timedelta(hours=1))
    upcoming = product_create(launch_at=now + timedelta(days=5))

    # when
    seed_activity(io.StringIO())

    # then: the same drop, on the product still to come
    drop.refresh_from_db()
    assert EarlyAccessDrop.objects.count() == 1
    assert drop.product_ids == [upcoming.pk]


def test_without_a_product_still_to_launch_there_is_no_demo_drop():
    # given
    product_create(launch_at=None)
    out = io.StringIO()

    # when
    seed_activity(out)

    # then
    assert not EarlyAccessDrop.objects.exists()
    assert "no product launches later" in out.getvalue()
