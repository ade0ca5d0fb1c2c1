"""Profile completed, birthdays, the daily visit streak and referrals."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from accounts.events import ProfileCompleted, UserSignedUp
from accounts.receivers import REFERRAL_SESSION_KEY
from accounts.services import profile_update
from accounts.tests.factories import PASSWORD, StaffFactory, UserFactory
from community.tests.factories import image_upload
from loyalty import rule_handlers as h
from loyalty.models import Award, EarningRule, LedgerEntry, Referral, RuleCode
from loyalty.selectors.ledger import balance_of, ledger_mismatches
from loyalty.services.occasions import birthdays_award, daily_visit_award
from loyalty.services.referrals import referral_code_for
from loyalty.services.rules import earning_rules_ensure
from shop.events import OrderCancelled, OrderPaid

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _reconciled(django_db_blocker):
    with django_db_blocker.unblock():
        earning_rules_ensure()  # a transactional test elsewhere flushes the migration's rows
    yield
    assert list(ledger_mismatches()) == []


def _awards(user) -> list[tuple[str, str, int, int]]:
    return sorted(Award.objects.filter(user=user).values_list("rule", "subject", "points", "net"))


def test_saving_a_complete_profile_earns_once(django_capture_on_commit_callbacks):
    # given
    member = UserFactory(display_name="", bio="")

    # when the profile is saved incomplete, then complete, then again
    with django_capture_on_commit_callbacks(execute=True):
        profile_update(user=member, display_name="Sari", bio="")
    assert not Award.objects.exists()
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            profile_update(user=member, bio="Batik lover", avatar=image_upload())

    # then
    assert _awards(member) == [("profile_completed", f"profile:{member.pk}", 30, 30)]


def test_a_birthday_earns_once_a_year():
    # given
    member = UserFactory(birthday=date(1990, 3, 14))
    UserFactory(birthday=date(1990, 3, 15))
    StaffFactory(birthday=date(1990, 3, 14))

    # when
    first = birthdays_award(today=date(2026, 3, 14))
    again = birthdays_award(today=date(2026, 3, 14))
    next_year = birthdays_award(today=date(2027, 3, 14))

    # then
    assert (first, again, next_year) == (1, 0, 1)
    assert _awards(member) == [
        ("birthday", "birthday:2026", 100, 100),
        ("birthday", "birthday:2027", 100, 100),
    ]


def test_a_29_february_birthday_counts_on_28_february_in_other_years():
    # given
    member = UserFactory(birthday=date(2000, 2, 29))

    # when
    birthdays_award(today=date(2027, 2, 28))

    # then
    assert _awards(member) == [("birthday", "birthday:2027", 100, 100)]


def test_the_daily_visit_grows_with_the_streak_and_restarts_after_a_gap():
    # given
    member = UserFactory()
    start = date(2026, 5, 1)

    # when: 3 days in a row, the third twice, then a gap
    for offset in (0, 1, 2, 2, 4):
        daily_visit_award(user_id=member.pk, day=start + timedelta(days=offset))

    # then
    assert [points for _r, _s, points, _n in _awards(member)] == [1, 2, 3, 1]


def test_the_daily_visit_is_capped_at_seven_days_of_streak():
    # given
    member = UserFactory()
    start = date(2026, 5, 1)

    # when
    for offset in range(9):
        daily_visit_award(user_id=member.pk, day=start + timedelta(days=offset))

    # then
    assert max(points for _r, _s, points, _n in _awards(member)) == 7


def test_a_members_first_request_of_the_day_awards_the_visit_once(
    client, django_capture_on_commit_callbacks
):
    # given
    member = UserFactory()
    cache.delete(f"loyalty:visit:{member.pk}:{timezone.localdate().isoformat()}")
    client.force_login(member)

    # when
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            client.get("/")

    # then
    today = timezone.localdate().isoformat()
    assert _awards(member) == [("daily_visit", f"visit:{today}", 1, 1)]


def test_a_ref_link_keeps_its_code_in_the_session_for_sign_up(client):
    # given
    code = referral_code_for(user_id=UserFactory().pk)

    # when
    client.get(f"/?ref={code.lower()}")

    # then
    assert client.session[REFERRAL_SESSION_KEY] == code


def _paid(user, order_id) -> OrderPaid:
    return OrderPaid(
        order_id=order_id,
        number=f"K-{order_id}",
        user_id=user.pk,
        total="500000.00",
        currency="IDR",
        product_ids=[1],
    )


def test_a_referral_rewards_both_members_on_the_first_paid_order_only():
    # given
    referrer = UserFactory()
    friend = UserFactory(referred_by_code=referral_code_for(user_id=referrer.pk))
    h.signup(UserSignedUp(user_id=friend.pk))
    h.signup(UserSignedUp(user_id=friend.pk))
    assert Referral.objects.get().referrer == referrer

    # when
    h.purchase_paid(_paid(friend, 1))
    h.purchase_paid(_paid(friend, 1))
    h.purchase_paid(_paid(friend, 2))

    # then
    subject = f"referral:{friend.pk}"
    assert _awards(referrer) == [("referral", subject, 200, 200)]
    assert ("referral", subject, 200, 200) in _awards(friend)
    assert balance_of(user_id=referrer.pk).pending == 200


def test_cancelling_the_first_order_takes_back_both_referral_awards():
    # given
    referrer = UserFactory()
    friend = UserFactory(referred_by_code=referral_code_for(user_id=referrer.pk))
    h.signup(UserSignedUp(user_id=friend.pk))
    h.purchase_paid(_paid(friend, 1))

    # when
    h.purchase_cancelled(
        OrderCancelled(
            order_id=1,
            user_id=friend.pk,
            was_paid=True,
            occurred_at=timezone.now() + timedelta(seconds=1),
        )
    )

    # then
    assert _awards(referrer) == [("referral", f"referral:{friend.pk}", 200, 0)]
    assert balance_of(user_id=friend.pk).pending == 0


def test_a_member_cannot_refer_themselves():
    # given
    member = UserFactory()
    member.referred_by_code = referral_code_for(user_id=member.pk)
    member.save(update_fields=["referred_by_code"])

    # when
    h.signup(UserSignedUp(user_id=member.pk))

    # then
    assert not Referral.objects.exists()


def test_the_profile_completed_handler_awards_once():
    # given
    member = UserFactory()

    # when
    h.profile_completed(ProfileCompleted(user_id=member.pk))
    h.profile_completed(ProfileCompleted(user_id=member.pk))

    # then
    assert LedgerEntry.objects.filter(user=member).count() == 1
    assert EarningRule.objects.get(code=RuleCode.PROFILE_COMPLETED).points == 30


def test_a_friend_signing_up_through_a_ref_link_is_linked_to_the_referrer(
    client, django_capture_on_commit_callbacks
):
    # given
    referrer = UserFactory()
    code = referral_code_for(user_id=referrer.pk)
    client.get(f"/?ref={code.lower()}")

    # when
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("account_signup"),
            {"email": "friend@example.com", "password1": PASSWORD, "password2": PASSWORD},
        )

    # then
    friend = get_user_model().objects.get(email="friend@example.com")
    assert friend.referred_by_code == code
    assert Referral.objects.get(referred=friend).referrer == referrer


def test_due_points_are_released_and_birthdays_awarded_by_hourly_beat_tasks():
    # given
    from loyalty.tasks import award_birthdays, release_due_points

    schedule = {e["task"]: e["schedule"] for e in django_settings.CELERY_BEAT_SCHEDULE.values()}

    # then
    assert schedule["loyalty.tasks.release_due_points"] == 3600.0
    assert schedule["loyalty.tasks.award_birthdays"] == 3600.0
    assert release_due_points.apply().get() == 0
    assert award_birthdays.apply().get() == 0
