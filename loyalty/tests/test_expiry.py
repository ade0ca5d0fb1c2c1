"""Points expiry: reminders once per idle spell through the notification
centre, then the available points expire as a ledger entry."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from django.conf import settings
from django.utils import formats, timezone

from accounts.tests.factories import StaffFactory, UserFactory
from config.celery_app import app as celery_app
from core.models import Notification, OutgoingEmail
from loyalty import tasks
from loyalty.models import EntryKind, LedgerEntry, PointsAccount, ProgramSettings
from loyalty.notifications import POINTS_EXPIRING
from loyalty.selectors.expiry import (
    ExpiryTerms,
    add_months,
    expiry_at,
    expiry_candidates,
    expiry_notice,
)
from loyalty.selectors.ledger import ledger_mismatches
from loyalty.services.expiry import (
    expiry_reminders_send,
    points_expire_batch,
    points_expire_due,
)
from loyalty.services.ledger import (
    award_standing,
    points_adjust,
    points_award,
    points_give_back,
    points_redeem,
    points_release_due,
)

pytestmark = pytest.mark.django_db


def _program(*, months: int = 12, reminder_days: int = 30) -> ProgramSettings:
    program = ProgramSettings.current()
    program.expiry_months, program.expiry_reminder_days = months, reminder_days
    program.save()
    return program


def _member_with(points: int, **kwargs):
    member = UserFactory(**kwargs)
    points_award(user_id=member.pk, rule="review", subject=f"review:{member.pk}", points=points)
    return member


def _idle_since(member, moment: datetime) -> None:
    PointsAccount.objects.filter(user=member).update(last_activity_at=moment)


def _account(member) -> PointsAccount:
    return PointsAccount.objects.get(user=member)


def _reminders(member) -> list[Notification]:
    return list(Notification.objects.filter(recipient=member, kind=POINTS_EXPIRING))


def _local(year: int, month: int, day: int, hour: int = 0) -> datetime:
    return timezone.make_aware(datetime(year, month, day, hour))


# ------------------------------------------------------------------- the rule


def test_a_month_later_is_clamped_to_the_end_of_a_shorter_month():
    assert add_months(_local(2027, 1, 31, 15), 1) == _local(2027, 2, 28, 15)
    assert add_months(_local(2028, 3, 31, 9), -1) == _local(2028, 2, 29, 9)
    assert add_months(_local(2027, 11, 15), 14) == _local(2029, 1, 15)


def test_points_expire_at_the_start_of_the_day_after_the_idle_months():
    # given: idle since 10 March 14:00, expiry after 12 months, no reminders
    _program(months=12, reminder_days=0)
    member = _member_with(100)
    _idle_since(member, _local(2026, 3, 10, 14))

    # when
    moment = expiry_at(account=_account(member), terms=ExpiryTerms(12, 0), now=_local(2026, 6, 1))

    # then they last all of 10 March 2027
    assert moment == _local(2027, 3, 11)


# -------------------------------------------------------------- reminders


def test_a_member_is_reminded_once_how_many_points_expire_when_and_what_keeps_them():
    # given: 500 points, idle since 1 March 2026 (12 local), 12 months, 30 days notice
    _program(months=12, reminder_days=30)
    member = _member_with(500)
    _idle_since(member, _local(2026, 3, 1, 12))
    now = _local(2027, 1, 30, 20)  # the first daily run 30 days before 1 March 2027

    # when the daily run goes twice
    first = expiry_reminders_send(now=now)
    second = expiry_reminders_send(now=now + timedelta(days=1))

    # then one notification, and one email saying it all
    assert (first, second) == (1, 0)
    [reminder] = _reminders(member)
    assert reminder.data == {"points": 500, "on": "2027-03-02"}
    assert reminder.url == "/rewards/"
    [email] = OutgoingEmail.objects.filter(kind=f"notification.{POINTS_EXPIRING}")
    assert email.to == [member.email]
    assert "500 points expire on 2 March 2027." in email.body_text
    assert "Earn or spend any points before then to keep them." in email.body_text
    assert _account(member).expiry_reminded_at == now


def test_the_reminder_is_in_the_members_language():
    # given
    _program(months=12, reminder_days=30)
    member = _member_with(1500, language="id")
    _idle_since(member, _local(2026, 3, 1, 12))

    # when
    expiry_reminders_send(now=_local(2027, 1, 30, 20))

    # then
    email = OutgoingEmail.objects.get(kind=f"notification.{POINTS_EXPIRING}")
    assert "1.500 poin akan kedaluwarsa pada 2 Maret 2027." in email.body_text


def test_no_reminder_before_the_reminder_days():
    # given: points expire on 2 March 2027 without notice
    _program(months=12, reminder_days=30)
    member = _member_with(500)
    _idle_since(member, _local(2026, 3, 1, 12))

    # when the run is 31 days before
    sent = expiry_reminders_send(now=_local(2027, 1, 29, 11))

    # then
    assert sent == 0
    assert _reminders(member) == []
    assert _account(member).expiry_reminded_at is None


def test_a_member_active_again_and_idle_again_is_reminded_again():
    # given: reminded once
    _program(months=12, reminder_days=30)
    member = _member_with(500)
    _idle_since(member, timezone.now() - timedelta(days=350))
    assert expiry_reminders_send() == 1

    # when they earn again, then stay idle for almost 12 months more
    points_award(user_id=member.pk, rule="review", subject="review:again", points=20)
    last = _account(member).last_activity_at
    later = add_months(last, 12) - timedelta(days=10)
    expiry_reminders_send(now=later - timedelta(days=40))  # not due yet
    sent = expiry_reminders_send(now=later)

    # then a second reminder, for the new spell's 520 points
    assert sent == 1
    reminders = sorted(_reminders(member), key=lambda n: n.pk)
    assert len(reminders) == 2
    assert reminders[1].data["points"] == 520


def test_members_without_available_points_and_staff_are_not_reminded():
    # given
    _program(months=12, reminder_days=30)
    staff = StaffFactory()
    points_adjust(user_id=staff.pk, points=300, reason="Test account", actor=staff)
    spent = _member_with(100)
    points_redeem(user_id=spent.pk, points=100, subject="order:1")
    for member in (staff, spent):
        _idle_since(member, _local(2026, 1, 1))

    # when
    sent = expiry_reminders_send(now=_local(2027, 6, 1))

    # then
    assert sent == 0
    assert Notification.objects.filter(kind=POINTS_EXPIRING).count() == 0


# ----------------------------------------------------------------- expiry


def test_idle_points_expire_as_a_ledger_entry_after_the_reminder():
    # given: reminded on 30 January that 500 points expire on 2 March
    _program(months=12, reminder_days=30)
    member = _member_with(500)
    _idle_since(member, _local(2026, 3, 1, 12))
    expiry_reminders_send(now=_local(2027, 1, 30, 20))

    # when the expiry runs on 1 March (too early), on 2 March, and again
    early = points_expire_due(now=_local(2027, 3, 1, 23))
    due = points_expire_due(now=_local(2027, 3, 3, 1))
    again = points_expire_due(now=_local(2027, 3, 4, 1))

    # then one entry took the 500 points
    assert (early, due, again) == (0, 1, 0)
    [entry] = LedgerEntry.objects.filter(kind=EntryKind.EXPIRE)
    assert (entry.user_id, entry.points, entry.bucket) == (member.pk, -500, "available")
    assert entry.note == "No points earned or spent since 1 March 2026."
    assert _account(member).available == 0
    assert list(ledger_mismatches()) == []


def test_points_given_after_an_expiry_get_a_reminder_of_their_own():
    # given: expired after a reminder, then given points by staff (not activity)
    _program(months=12, reminder_days=30)
    staff = StaffFactory()
    member = _member_with(500)
    _idle_since(member, _local(2026, 3, 1, 12))
    expiry_reminders_send(now=_local(2027, 1, 30, 20))
    assert points_expire_due(now=_local(2027, 3, 3)) == 1
    points_adjust(user_id=member.pk, points=100, reason="Goodwill", actor=staff)

    # when the daily runs go on
    next_day = points_expire_due(now=_local(2027, 3, 4))
    reminded = expiry_reminders_send(now=_local(2027, 3, 4))
    notice_not_over = points_expire_due(now=_local(2027, 4, 2))
    notice_over = points_expire_due(now=_local(2027, 4, 4))

    # then the 100 points were announced and expired 30 days later
    assert (next_day, reminded, notice_not_over, notice_over) == (0, 1, 0, 1)
    reminders = sorted(_reminders(member), key=lambda n: n.pk)
    assert [n.data for n in reminders] == [
        {"points": 500, "on": "2027-03-02"},
        {"points": 100, "on": "2027-04-03"},
    ]
    assert _account(member).available == 0


def test_points_never_expire_without_the_reminder_days_of_notice():
    # given: idle for two years (expiry was just switched on), never reminded
    _program(months=12, reminder_days=30)
    member = _member_with(400)
    _idle_since(member, _local(2025, 1, 1))
    now = _local(2027, 1, 10, 9)

    # when
    before_reminder = points_expire_due(now=now)
    expiry_reminders_send(now=now)
    notice_not_over = points_expire_due(now=now + timedelta(days=29))
    notice_over = points_expire_due(now=now + timedelta(days=31))

    # then the reminder named 10 February (30 days on, from the start of that day)
    assert (before_reminder, notice_not_over, notice_over) == (0, 0, 1)
    [reminder] = _reminders(member)
    assert reminder.data["on"] == "2027-02-10"


def test_without_reminder_days_points_expire_after_the_months_alone():
    # given
    _program(months=6, reminder_days=0)
    member = _member_with(250)
    _idle_since(member, _local(2026, 1, 15, 10))

    # when
    sent = expiry_reminders_send(now=_local(2026, 7, 15))
    expired = points_expire_due(now=_local(2026, 7, 16, 0))

    # then
    assert (sent, expired) == (0, 1)
    assert _account(member).available == 0


def test_expiry_months_zero_means_points_never_expire():
    # given
    _program(months=0, reminder_days=30)
    member = _member_with(500)
    _idle_since(member, _local(2020, 1, 1))

    # when
    sent = expiry_reminders_send(now=_local(2027, 1, 1))
    expired = points_expire_due(now=_local(2027, 1, 1))

    # then
    assert (sent, expired) == (0, 0)
    assert _account(member).available == 500
    assert not LedgerEntry.objects.filter(kind=EntryKind.EXPIRE).exists()


def test_pending_points_and_debts_do_not_expire():
    # given: 100 available and 200 pending; another member owes 50
    _program(months=12, reminder_days=0)
    holder = _member_with(100)
    points_award(user_id=holder.pk, rule="purchase", subject="order:7", points=200, pending=True)
    debtor = UserFactory()
    points_award(user_id=debtor.pk, rule="review", subject="review:d", points=50)
    points_redeem(user_id=debtor.pk, points=50, subject="order:8")
    award_standing(user_id=debtor.pk, rule="review", subject="review:d", share=0)
    for member in (holder, debtor):
        _idle_since(member, _local(2025, 1, 1))

    # when
    expired = points_expire_due(now=_local(2027, 1, 1))

    # then only the available 100 went
    assert expired == 1
    holder_account, debtor_account = _account(holder), _account(debtor)
    assert (holder_account.available, holder_account.pending) == (0, 200)
    assert (debtor_account.available, debtor_account.debt) == (0, 50)
    assert list(ledger_mismatches()) == []


def test_staff_points_are_left_alone():
    # given
    _program(months=12, reminder_days=0)
    staff = StaffFactory()
    points_adjust(user_id=staff.pk, points=300, reason="Test account", actor=staff)
    _idle_since(staff, _local(2025, 1, 1))

    # when
    expired = points_expire_due(now=_local(2027, 1, 1))

    # then
    assert expired == 0
    assert _account(staff).available == 300


def test_staff_adjustments_refunds_and_releases_are_not_activity():
    # given: idle since 1 January 2026, then given points by staff, a
    # refund and a release, none of them activity
    _program(months=12, reminder_days=0)
    staff = StaffFactory()
    member = _member_with(100)
    points_award(
        user_id=member.pk,
        rule="purchase",
        subject="order:1",
        points=40,
        pending=True,
        available_at=timezone.now() - timedelta(minutes=1),
    )
    _idle_since(member, _local(2026, 1, 1))
    points_adjust(user_id=member.pk, points=25, reason="Goodwill", actor=staff)
    points_give_back(user_id=member.pk, points=10, subject="order:2")
    points_release_due()

    # when
    expired = points_expire_due(now=_local(2027, 1, 3))

    # then all 175 available expired
    assert expired == 1
    assert LedgerEntry.objects.get(kind=EntryKind.EXPIRE).points == -175


def test_an_activity_after_the_accounts_were_selected_keeps_the_points():
    # given: due to expire, selected by a run
    _program(months=12, reminder_days=0)
    now = timezone.now()
    earner, spender = _member_with(300), _member_with(300)
    for member in (earner, spender):
        _idle_since(member, now - timedelta(days=800))
    terms = ExpiryTerms.of(ProgramSettings.current())
    selected = list(expiry_candidates(terms=terms, now=now).values_list("user_id", flat=True))
    assert sorted(selected) == sorted([earner.pk, spender.pk])

    # when one earns and the other spends before the batch locks them
    points_award(user_id=earner.pk, rule="review", subject="review:late", points=5)
    points_redeem(user_id=spender.pk, points=1, subject="order:late")
    expired = points_expire_batch(user_ids=selected, terms=terms, now=now)

    # then both keep their points
    assert expired == 0
    assert (_account(earner).available, _account(spender).available) == (305, 299)


def test_a_run_goes_through_every_batch():
    # given: five idle members, batches of two
    _program(months=12, reminder_days=30)
    members = [_member_with(10 * (n + 1)) for n in range(5)]
    for member in members:
        _idle_since(member, _local(2026, 1, 1))
    now = _local(2026, 12, 20)

    # when
    reminded = expiry_reminders_send(now=now, batch_size=2)
    expired = points_expire_due(now=now + timedelta(days=31), batch_size=2)

    # then
    assert (reminded, expired) == (5, 5)
    assert PointsAccount.objects.filter(available__gt=0).count() == 0


def test_the_daily_tasks_are_scheduled_and_registered():
    schedule = {
        entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()
    }
    assert schedule["loyalty.tasks.remind_expiring_points"] == 86400.0
    assert schedule["loyalty.tasks.expire_points"] == 86400.0
    assert {"loyalty.tasks.remind_expiring_points", "loyalty.tasks.expire_points"} <= set(
        celery_app.tasks
    )


def test_the_tasks_run_the_services_now():
    # given: reminded 31 days ago, idle for 13 months
    _program(months=12, reminder_days=30)
    member = _member_with(80)
    now = timezone.now()
    _idle_since(member, now - timedelta(days=400))
    PointsAccount.objects.filter(user=member).update(expiry_reminded_at=now - timedelta(days=32))

    # when
    reminded = tasks.remind_expiring_points()
    expired = tasks.expire_points()

    # then
    assert (reminded, expired) == (0, 1)
    assert _account(member).available == 0


# ------------------------------------------------- the Rewards page and API


def _due_a_reminder(points: int = 640):
    _program(months=12, reminder_days=30)
    member = _member_with(points)
    idle = timezone.now() - timedelta(days=350)
    _idle_since(member, idle)
    return member


def test_the_notice_shows_once_a_reminder_is_due_and_goes_with_activity():
    # given
    member = _due_a_reminder()
    terms = ExpiryTerms.of(ProgramSettings.current())
    now = timezone.now()

    # when, then: due a reminder
    notice = expiry_notice(account=_account(member), terms=terms, now=now)
    assert notice is not None
    assert notice.points == 640
    assert notice.on == timezone.localdate(now + timedelta(days=30)) + timedelta(days=1)

    # when, then: active again
    points_redeem(user_id=member.pk, points=40, subject="order:3")
    assert expiry_notice(account=_account(member), terms=terms, now=now) is None


def test_the_rewards_page_says_how_many_points_expire_when(client, django_assert_max_num_queries):
    # given
    member = _due_a_reminder(1250)
    expiry_reminders_send()
    on = date.fromisoformat(_reminders(member)[0].data["on"])
    client.force_login(member)
    client.get("/rewards/")  # the first visit makes the member's invite code

    # when
    with django_assert_max_num_queries(23):  # as the sections' test: every block reads
        response = client.get("/rewards/")

    # then
    page = response.content.decode()
    assert f"1,250 points expire on {formats.date_format(on, 'DATE_FORMAT')}." in page
    assert "Earn or spend any points before then to keep them." in page


def test_the_rewards_page_is_quiet_about_expiry_for_an_active_member(client):
    # given
    _program(months=12, reminder_days=30)
    member = _member_with(500)
    client.force_login(member)

    # when
    page = client.get("/rewards/").content.decode()

    # then
    assert "expire on" not in page


def test_the_rewards_page_in_indonesian(client):
    # given
    member = _due_a_reminder(640)
    client.force_login(member)

    # when
    page = client.get("/id/rewards/").content.decode()

    # then
    assert "640 poin akan kedaluwarsa pada" in page
    assert "Dapatkan atau gunakan poin" in page


def test_the_balance_api_gives_the_expiring_points_and_day(client):
    # given
    member = _due_a_reminder(640)
    expiry_reminders_send()
    on = _reminders(member)[0].data["on"]
    client.force_login(member)

    # when
    body = client.get("/api/v1/loyalty/balance/").json()

    # then
    assert body["expiring"] == {"points": 640, "on": on}


def test_the_balance_api_gives_no_expiry_for_an_active_member(client):
    # given
    _program(months=12, reminder_days=30)
    member = _member_with(500)
    client.force_login(member)

    # when
    body = client.get("/api/v1/loyalty/balance/").json()

    # then
    assert body["expiring"] is None
