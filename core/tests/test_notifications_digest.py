"""The daily digest: one email per member per day with their unread,
un-emailed notifications of daily kinds, however often the task runs."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from core.models import Notification, OutgoingEmail
from core.notifications import Delivery, notify
from core.notifications.services import (
    digest_key,
    notification_digests_send,
    notification_mark_read,
    notification_preferences_set,
)
from core.tasks import send_notification_digests
from core.tests.factories import MemberFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("notification_kinds")]

JAKARTA = ZoneInfo("Asia/Jakarta")
MORNING = datetime(2026, 12, 2, 8, 0, tzinfo=JAKARTA)


@pytest.fixture(autouse=True)
def _digest_hour(settings):
    settings.NOTIFICATION_DIGEST_HOUR = 7


def _news(member, n: int) -> Notification:
    return notify(
        user_id=member.pk,
        kind="probe.digested",
        key=f"news:{n}",
        data={"title": f"Pasar {n}"},
        url="/notifications/",
    )


def _backdate(when: datetime) -> None:
    Notification.objects.update(created_at=when)


def test_a_members_daily_notifications_go_out_in_one_digest():
    # given a member with three notifications of a daily kind, one read
    member = MemberFactory()
    news = [_news(member, n) for n in range(3)]
    notification_mark_read(user_id=member.pk, notification_id=news[2].pk)
    _backdate(MORNING - timedelta(hours=3))
    assert not OutgoingEmail.objects.exists()  # nothing at once

    # when the digest runs in the morning
    assert notification_digests_send(now=MORNING) == 1

    # then one email lists the two unread ones, and they are marked emailed
    email = OutgoingEmail.objects.get()
    assert email.key == digest_key(user_id=member.pk, day=MORNING.date())
    assert email.key == f"digest:{member.pk}:2026-12-02"
    assert email.to == [member.email]
    assert "News: Pasar 0" in email.body_text
    assert "News: Pasar 1" in email.body_text
    assert "Pasar 2" not in email.body_text
    assert "2 new notifications" in email.subject
    assert email.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "/notifications/unsubscribe/" in email.headers["List-Unsubscribe"]
    emailed = set(
        Notification.objects.filter(emailed_at__isnull=False).values_list("pk", flat=True)
    )
    assert emailed == {news[0].pk, news[1].pk}


def test_the_digest_is_sent_once_a_day_however_often_it_runs():
    member = MemberFactory()
    _news(member, 1)
    _backdate(MORNING - timedelta(hours=1))

    assert notification_digests_send(now=MORNING) == 1
    # a later notification the same day waits for tomorrow's digest
    _news(member, 2)
    Notification.objects.filter(key="news:2").update(created_at=MORNING + timedelta(minutes=5))
    assert notification_digests_send(now=MORNING + timedelta(hours=1)) == 0
    assert notification_digests_send(now=MORNING + timedelta(hours=2)) == 0
    assert OutgoingEmail.objects.count() == 1

    # the next morning it goes out
    tomorrow = MORNING + timedelta(days=1)
    assert notification_digests_send(now=tomorrow) == 1
    assert OutgoingEmail.objects.count() == 2
    assert "News: Pasar 2" in OutgoingEmail.objects.get(key__endswith="2026-12-03").body_text


def test_before_the_digest_hour_nothing_is_sent():
    member = MemberFactory()
    _news(member, 1)
    _backdate(MORNING - timedelta(hours=6))
    assert notification_digests_send(now=MORNING.replace(hour=6)) == 0
    assert not OutgoingEmail.objects.exists()


def test_only_daily_kinds_are_digested():
    # given a member who gets replies instantly, moderation on the site
    # only, and chose the digest for nothing else
    member = MemberFactory()
    notification_preferences_set(user_id=member.pk, choices={"probe.moderation": Delivery.WEB})
    notify(user_id=member.pk, kind="probe.reply", key="r", data={"name": "A", "title": "B"})
    notify(user_id=member.pk, kind="probe.moderation", key="m", data={"title": "C"})
    notify(user_id=member.pk, kind="probe.listed", key="l", data={"title": "D"})
    _backdate(MORNING - timedelta(hours=1))
    instant = OutgoingEmail.objects.count()

    assert notification_digests_send(now=MORNING) == 0
    assert OutgoingEmail.objects.count() == instant


def test_a_member_who_chose_the_digest_for_a_kind_gets_it_there():
    member = MemberFactory()
    notification_preferences_set(user_id=member.pk, choices={"probe.reply": Delivery.DAILY})
    notify(user_id=member.pk, kind="probe.reply", key="r", data={"name": "Ani", "title": "Kopi"})
    _backdate(MORNING - timedelta(hours=1))
    assert not OutgoingEmail.objects.exists()

    assert notification_digests_send(now=MORNING) == 1
    assert "Ani replied to Kopi" in OutgoingEmail.objects.get().body_text


def test_a_member_who_left_the_digest_gets_none():
    member = MemberFactory()
    _news(member, 1)
    _backdate(MORNING - timedelta(hours=1))
    notification_preferences_set(user_id=member.pk, choices={"probe.digested": Delivery.WEB})
    assert notification_digests_send(now=MORNING) == 0
    assert not OutgoingEmail.objects.exists()


def test_the_digest_is_in_the_members_language():
    member = MemberFactory(language="id")
    _news(member, 1)
    _backdate(MORNING - timedelta(hours=1))
    notification_digests_send(now=MORNING)
    email = OutgoingEmail.objects.get()
    assert email.language == "id"
    assert "/id/notifications/unsubscribe/" in email.headers["List-Unsubscribe"]


def test_the_beat_task_sends_due_digests(settings):
    settings.NOTIFICATION_DIGEST_HOUR = 0
    member = MemberFactory()
    _news(member, 1)
    Notification.objects.update(
        created_at=Notification.objects.get().created_at - timedelta(minutes=1)
    )
    assert send_notification_digests() == 1
    assert send_notification_digests() == 0
    assert (
        settings.CELERY_BEAT_SCHEDULE["send-notification-digests"]["task"]
        == "core.tasks.send_notification_digests"
    )


@pytest.mark.django_db(transaction=True)
def test_concurrent_digest_runs_send_one_digest(postgres_required):
    # given members with daily notifications
    members = [MemberFactory() for _ in range(3)]
    for member in members:
        _news(member, member.pk)
    _backdate(MORNING - timedelta(hours=1))
    barrier = threading.Barrier(4)
    errors = []

    def run() -> None:
        try:
            barrier.wait(timeout=30)
            notification_digests_send(now=MORNING)
        except BaseException as exc:  # noqa: BLE001 - counted
            errors.append(exc)
        finally:
            connection.close()

    # when four beat ticks run at once
    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    # then each member got one digest
    assert errors == []
    assert sorted(OutgoingEmail.objects.values_list("key", flat=True)) == sorted(
        digest_key(user_id=member.pk, day=MORNING.date()) for member in members
    )
