"""Tiers: reached by qualifying points or spend, kept through the following
period, never lowered by spending, a notification once per tier, the
multiplier, the progress bar and the marks next to members' names."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from core.models import Notification
from loyalty.models import Award, MemberSpend, MemberTier, ProgramSettings, Tier
from loyalty.notifications import TIER_REACHED
from loyalty.selectors.ledger import ledger_mismatches
from loyalty.selectors.tiers import member_tier_marks, tier_multiplier, tier_progress
from loyalty.services.ledger import award_standing, points_award, points_redeem
from loyalty.services.tiers import tiers_expire
from loyalty.tier_handlers import tier_spend_cancelled, tier_spend_paid, tier_spend_refunded
from shop.events import OrderCancelled, OrderPaid, OrderRefunded

pytestmark = pytest.mark.django_db


@pytest.fixture
def ladder():
    return (
        Tier.objects.create(name="Insider", threshold=0, multiplier=Decimal("1")),
        Tier.objects.create(
            name="VIB", threshold=300, multiplier=Decimal("1.25"), badge_label="VIB"
        ),
        Tier.objects.create(name="Rouge", threshold=1000, multiplier=Decimal("1.5")),
    )


def _award(user, points, subject=None, rule="review"):
    return points_award(
        user_id=user.pk,
        rule=rule,
        subject=subject or f"review:{uuid.uuid4().hex[:8]}",
        points=points,
        source_event_id=uuid.uuid4(),
        occurred_at=timezone.now(),
    )


def _tier(user):
    row = MemberTier.objects.filter(user=user).select_related("tier").first()
    return row.tier.name if row and row.tier else None


def _at(year, month, day):
    return datetime(year, month, day, 12, tzinfo=timezone.get_current_timezone())


def test_without_tiers_the_multiplier_is_one_and_no_tier_is_stored():
    # given
    member = UserFactory()

    # when
    _award(member, 500)

    # then
    assert tier_multiplier(member.pk) == Decimal("1")
    assert not MemberTier.objects.exists()


def test_qualifying_points_reach_a_tier_with_its_multiplier_and_one_notification(ladder):
    # given
    member = UserFactory()
    _award(member, 200)
    assert _tier(member) == "Insider"

    # when
    _award(member, 150)
    _award(member, 10)

    # then
    assert _tier(member) == "VIB"
    assert tier_multiplier(member.pk) == Decimal("1.25")
    notes = Notification.objects.filter(recipient=member, kind=TIER_REACHED)
    assert [n.data["tier"] for n in notes] == ["VIB"]
    assert list(ledger_mismatches()) == []


def test_spending_points_never_lowers_the_tier(ladder):
    # given
    member = UserFactory()
    _award(member, 400)

    # when
    points_redeem(user_id=member.pk, points=400, subject="order:1")
    _award(member, 5)

    # then
    assert _tier(member) == "VIB"
    assert MemberTier.objects.get(user=member).qualifying == Decimal("405")


def test_a_reversal_keeps_a_tier_already_reached_through_its_keep(ladder):
    # given
    member = UserFactory()
    _award(member, 400, subject="order:9", rule="purchase")

    # when
    award_standing(user_id=member.pk, rule="purchase", subject="order:9", share=0)

    # then
    row = MemberTier.objects.get(user=member)
    assert (row.tier.name, row.qualifying) == ("VIB", Decimal("0"))


def test_a_calendar_year_tier_is_kept_through_the_next_year_then_falls(ladder):
    # given
    member = UserFactory()
    _award(member, 1200)
    year = timezone.localtime().year
    assert MemberTier.objects.get(user=member).kept_until == date(year + 1, 12, 31)

    # when
    tiers_expire(now=_at(year + 1, 12, 31))

    # then
    assert _tier(member) == "Rouge"

    # when
    recomputed = tiers_expire(now=_at(year + 2, 1, 1))

    # then
    assert recomputed == 1
    assert _tier(member) == "Insider"
    assert tier_multiplier(member.pk) == Decimal("1")


def test_a_rolling_tier_is_kept_twelve_months_after_reaching_it(ladder):
    # given
    ProgramSettings.objects.update_or_create(pk=1, defaults={"tier_period": "rolling_12_months"})
    member = UserFactory()
    award = _award(member, 400)
    reached = MemberTier.objects.get(user=member)
    local = timezone.localtime(reached.reached_at).date()
    assert reached.kept_until == local.replace(year=local.year + 1)

    # when the points leave the 12-month window and the keep runs out
    Award.objects.filter(pk=award.pk).update(created_at=timezone.now() - timedelta(days=400))
    tiers_expire(now=timezone.now() + timedelta(days=366))

    # then
    assert _tier(member) == "Insider"


def test_a_higher_tier_replaces_a_kept_lower_one_and_notifies_once(ladder):
    # given
    member = UserFactory()
    _award(member, 400)

    # when
    _award(member, 700)
    _award(member, 50)

    # then
    assert _tier(member) == "Rouge"
    kinds = Notification.objects.filter(recipient=member, kind=TIER_REACHED)
    assert sorted(n.data["tier"] for n in kinds) == ["Rouge", "VIB"]


def test_tier_progress_names_the_next_tier_and_what_it_needs(ladder):
    # given
    member = UserFactory()
    _award(member, 450)

    # when
    progress = tier_progress(member)

    # then
    assert (progress.current.name, progress.next.name) == ("VIB", "Rouge")
    assert (progress.qualifying, progress.needed) == (Decimal("450"), Decimal("550"))
    assert progress.percent == 21


def test_tier_progress_at_the_top_needs_nothing(ladder):
    # given
    member = UserFactory()
    _award(member, 1500)

    # when
    progress = tier_progress(member)

    # then
    assert (progress.current.name, progress.next, progress.needed) == ("Rouge", None, 0)


def test_member_marks_show_tiers_above_the_base_in_one_query(ladder, django_assert_num_queries):
    # given
    base, vib, rouge = UserFactory(), UserFactory(), UserFactory()
    _award(base, 10)
    _award(vib, 300)
    _award(rouge, 1000)
    marks = member_tier_marks

    # when
    with django_assert_num_queries(1):
        answer = marks([base.pk, vib.pk, rouge.pk, 999999])

    # then
    assert answer == {
        vib.pk: [{"label": "VIB", "title": "VIB"}],
        rouge.pk: [{"label": "Rouge", "title": "Rouge"}],
    }


def _paid(member, order_id, total):
    return OrderPaid(
        order_id=order_id,
        number=f"KP-{order_id}",
        user_id=member.pk,
        total=total,
        currency="IDR",
        product_ids=[],
    )


def test_spend_basis_counts_paid_orders_once_less_refunds_and_cancellations(ladder):
    # given
    ProgramSettings.objects.update_or_create(pk=1, defaults={"tier_basis": "spend"})
    member = UserFactory()
    paid = _paid(member, 41, "1200.00")

    # when
    tier_spend_paid(paid)
    tier_spend_paid(paid)

    # then
    assert _tier(member) == "Rouge"
    assert MemberTier.objects.get(user=member).qualifying == Decimal("1200")

    # when
    refund = OrderRefunded(
        order_id=41, user_id=member.pk, amount="500", refunded_total="500", full=False
    )
    tier_spend_refunded(refund)
    tier_spend_refunded(refund)
    tier_spend_paid(_paid(member, 42, "100.00"))
    tier_spend_cancelled(OrderCancelled(order_id=42, user_id=member.pk, was_paid=True))

    # then the tier reached is kept; the qualifying spend follows
    row = MemberTier.objects.get(user=member)
    assert (row.tier.name, row.qualifying) == ("Rouge", Decimal("700"))
    assert MemberSpend.objects.count() == 2


def test_spend_basis_ignores_points(ladder):
    # given
    ProgramSettings.objects.update_or_create(pk=1, defaults={"tier_basis": "spend"})
    member = UserFactory()

    # when
    _award(member, 5000)

    # then
    assert _tier(member) is None
