"""Earning rules: the enabled flag, staff, trust levels and caps decide what
an award is worth when it is first made."""

from __future__ import annotations

import importlib
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.tests.factories import StaffFactory, UserFactory
from community.tests.factories import trusted
from loyalty.models import Award, EarningRule, LedgerEntry, RuleCode
from loyalty.selectors.ledger import balance_of, ledger_mismatches
from loyalty.selectors.rules import content_incentivised
from loyalty.services.rules import (
    DEFAULT_RULES,
    earning_rules_ensure,
    purchase_points,
    rule_award,
    rule_standing,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _reconciled(django_db_blocker):
    with django_db_blocker.unblock():
        earning_rules_ensure()  # a transactional test elsewhere flushes the migration's rows
    yield
    assert list(ledger_mismatches()) == []


def _rule(code: str, **changes) -> EarningRule:
    rule = EarningRule.objects.get(code=code)
    for name, value in changes.items():
        setattr(rule, name, value)
    rule.save()
    return rule


def _award(user, code=RuleCode.REVIEW, subject="review:1", **kwargs):
    return rule_award(
        code=code,
        user_id=user.pk,
        subject=subject,
        source_event_id=uuid.uuid4(),
        occurred_at=kwargs.pop("at", timezone.now()),
        **kwargs,
    )


def test_default_rules_exist_for_every_trigger_as_the_migration_makes_them():
    # given
    migration = importlib.import_module("loyalty.migrations.0006_default_rules")
    made_later = EarningRule.objects.get(code=RuleCode.CONTRIBUTION_SOLD)

    # then: the first migration's rules and the one added since
    assert [*migration.DEFAULT_RULES, ("contribution_sold", 25, 0, 250, None, 0)] == DEFAULT_RULES
    assert (made_later.points, made_later.daily_cap) == (25, 250)
    assert set(EarningRule.objects.values_list("code", flat=True)) == set(RuleCode.values)
    purchase = EarningRule.objects.get(code=RuleCode.PURCHASE)
    assert purchase_points(rule=purchase, total="215000.00") == 21


def test_an_enabled_rule_awards_its_points():
    # given
    member = UserFactory()
    _rule(RuleCode.REVIEW, points=20)

    # when
    award = _award(member)

    # then
    assert (award.rule, award.subject, award.points, award.net) == ("review", "review:1", 20, 20)
    assert balance_of(user_id=member.pk).available == 20


def test_a_disabled_rule_awards_nothing():
    # given
    member = UserFactory()
    _rule(RuleCode.REVIEW, enabled=False)

    # when
    award = _award(member)

    # then
    assert award is None
    assert not Award.objects.exists()
    assert not LedgerEntry.objects.exists()


def test_staff_earn_no_points():
    # given
    staff = StaffFactory()

    # when
    award = _award(staff)

    # then
    assert award is None
    assert not LedgerEntry.objects.filter(user=staff).exists()


def test_a_member_below_the_rules_trust_level_is_refused():
    # given
    newcomer = trusted(UserFactory(), level=0)
    _rule(RuleCode.FORUM_THREAD, min_trust_level=1, points=5)

    # when
    award = _award(newcomer, RuleCode.FORUM_THREAD, "post:1")

    # then
    assert award is None
    assert not Award.objects.exists()
    assert not LedgerEntry.objects.exists()


def test_a_member_at_the_rules_trust_level_earns():
    # given
    member = trusted(UserFactory(), level=2)
    _rule(RuleCode.FORUM_THREAD, min_trust_level=1, points=5)

    # when
    award = _award(member, RuleCode.FORUM_THREAD, "post:1")

    # then
    assert award.points == 5


def test_the_daily_cap_clips_the_last_award_and_refuses_the_next():
    # given
    member = UserFactory()
    _rule(RuleCode.REVIEW, points=20, daily_cap=50)

    # when
    awards = [_award(member, subject=f"review:{n}") for n in range(1, 5)]

    # then
    assert [a.points if a else None for a in awards] == [20, 20, 10, None]
    assert balance_of(user_id=member.pk).available == 50


def test_the_daily_cap_counts_only_todays_awards():
    # given
    member = UserFactory()
    _rule(RuleCode.REVIEW, points=20, daily_cap=20)
    old = _award(member, subject="review:1")
    Award.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=1))

    # when
    award = _award(member, subject="review:2")

    # then
    assert award.points == 20


def test_the_lifetime_cap_clips_across_days():
    # given
    member = UserFactory()
    _rule(RuleCode.REFERRAL, points=200, lifetime_cap=300)
    first = _award(member, RuleCode.REFERRAL, "referral:1")
    Award.objects.filter(pk=first.pk).update(created_at=timezone.now() - timedelta(days=40))

    # when
    second = _award(member, RuleCode.REFERRAL, "referral:2")
    third = _award(member, RuleCode.REFERRAL, "referral:3")

    # then
    assert (second.points, third) == (100, None)


def test_a_restored_award_is_not_capped_again():
    # given a member whose accepted answer was unaccepted after they hit the cap
    member = UserFactory()
    _rule(RuleCode.ANSWER_ACCEPTED, points=15, daily_cap=15)
    start = timezone.now()
    _award(member, RuleCode.ANSWER_ACCEPTED, "answer:1", at=start)
    rule_standing(
        code=RuleCode.ANSWER_ACCEPTED,
        user_id=member.pk,
        subject="answer:1",
        share=0,
        occurred_at=start + timedelta(seconds=1),
    )

    # when it is accepted again
    award = _award(member, RuleCode.ANSWER_ACCEPTED, "answer:1", at=start + timedelta(seconds=2))

    # then
    assert award.net == 15
    assert balance_of(user_id=member.pk).available == 15


def test_purchase_points_round_down():
    # given
    rule = EarningRule(code=RuleCode.PURCHASE, points_per_unit=Decimal("0.0001"))

    # then
    assert purchase_points(rule=rule, total="9999.99") == 0
    assert purchase_points(rule=rule, total="1234567.00") == 123


def test_content_incentivised_names_the_rewarded_content_in_one_query(
    django_assert_num_queries,
):
    # given
    member = UserFactory()
    _award(member, subject="review:1")
    _award(member, RuleCode.REVIEW_HELPFUL, "review-vote:2:9")

    # when
    with django_assert_num_queries(1):
        found = content_incentivised(kind="review", ids=[1, 2, 3])

    # then
    assert found == {1}
