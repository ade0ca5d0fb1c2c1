"""The notification centre's service: notify() records once per key,
respects the member's choice, and emails INSTANT kinds in the member's
language through the mail outbox."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.utils import translation

from core import hooks
from core.events import quiet
from core.exceptions import ApplicationError
from core.models import Notification, NotificationPreference, OutgoingEmail
from core.notifications import (
    Delivery,
    NotificationKind,
    notification_kind_register,
    notification_kinds,
    notify,
)
from core.notifications.services import (
    notification_preferences_set,
    notification_text,
    user_anonymise,
    user_data_export,
)
from core.tests.factories import MemberFactory
from core.tests.notification_kinds import REPLY

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("notification_kinds")]

DATA = {"name": "Budi", "title": "Sambal recipes"}


def _reply(member, key: str = "reply:1", **kwargs):
    return notify(
        user_id=member.pk,
        kind="probe.reply",
        key=key,
        data=DATA,
        url="/notifications/",
        **kwargs,
    )


def test_same_key_twice_records_one_notification_and_one_email():
    # given a member
    member = MemberFactory()

    # when the same event is delivered twice
    first = _reply(member)
    second = _reply(member)

    # then one notification and one email were recorded
    assert first is not None
    assert second is None
    assert Notification.objects.filter(recipient=member).count() == 1
    assert list(OutgoingEmail.objects.values_list("key", flat=True)) == [f"notification:{first.pk}"]


def test_the_same_key_for_two_members_notifies_both():
    alice, budi = MemberFactory(), MemberFactory()
    assert _reply(alice) is not None
    assert _reply(budi) is not None
    assert Notification.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_two_threads_notifying_with_one_key_record_one_notification(postgres_required):
    # given a member, and eight workers delivering the same event at once
    member = MemberFactory()
    barrier = threading.Barrier(8)
    results, errors = [], []

    def deliver() -> None:
        try:
            barrier.wait(timeout=30)
            results.append(_reply(member, key="reply:race"))
        except BaseException as exc:  # noqa: BLE001 - counted
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    # then one of them recorded it, the others nothing, and nobody failed
    assert errors == []
    assert len([r for r in results if r is not None]) == 1
    assert Notification.objects.filter(recipient=member, key="reply:race").count() == 1
    assert OutgoingEmail.objects.filter(kind="notification.probe.reply").count() == 1


def test_the_actor_is_not_notified_of_their_own_action():
    member = MemberFactory()
    assert _reply(member, actor_id=member.pk) is None
    assert not Notification.objects.exists()
    assert not OutgoingEmail.objects.exists()


def test_another_actor_is_recorded():
    member, actor = MemberFactory(), MemberFactory()
    notification = _reply(member, actor_id=actor.pk)
    assert notification.actor_id == actor.pk


def test_instant_is_listed_and_emailed_at_once():
    member = MemberFactory()
    notification = _reply(member)
    assert notification.emailed_at is not None
    email = OutgoingEmail.objects.get()
    assert email.to == [member.email]
    assert "Budi replied to Sambal recipes" in email.subject


def test_off_stores_nothing():
    member = MemberFactory()
    notification_preferences_set(user_id=member.pk, choices={"probe.reply": Delivery.OFF})
    assert _reply(member) is None
    assert not Notification.objects.exists()
    assert not OutgoingEmail.objects.exists()


def test_on_the_site_only_is_listed_without_email():
    member = MemberFactory()
    notification_preferences_set(user_id=member.pk, choices={"probe.reply": Delivery.WEB})
    notification = _reply(member)
    assert notification is not None
    assert notification.emailed_at is None
    assert not OutgoingEmail.objects.exists()


def test_daily_is_listed_and_left_for_the_digest():
    member = MemberFactory()
    notification_preferences_set(user_id=member.pk, choices={"probe.reply": Delivery.DAILY})
    notification = _reply(member)
    assert notification is not None
    assert notification.emailed_at is None
    assert not OutgoingEmail.objects.exists()


def test_a_kind_the_app_mails_itself_is_only_listed():
    member = MemberFactory()
    notification = notify(user_id=member.pk, kind="probe.listed", key="l:1", data={"title": "x"})
    assert notification is not None
    assert not OutgoingEmail.objects.exists()


def test_a_kind_members_cannot_switch_off_refuses_off_and_keeps_coming():
    member = MemberFactory()
    with pytest.raises(ApplicationError):
        notification_preferences_set(user_id=member.pk, choices={"probe.moderation": Delivery.OFF})
    assert not NotificationPreference.objects.exists()
    # a stale OFF row (written before the kind became mandatory) is ignored
    NotificationPreference.objects.create(
        user=member, kind="probe.moderation", delivery=Delivery.OFF
    )
    notification = notify(
        user_id=member.pk, kind="probe.moderation", key="m:1", data={"title": "Spam"}
    )
    assert notification is not None


def test_a_refused_choice_stores_none_of_the_others():
    member = MemberFactory()
    with pytest.raises(ApplicationError):
        notification_preferences_set(
            user_id=member.pk,
            choices={"probe.reply": Delivery.WEB, "probe.moderation": Delivery.OFF},
        )
    assert not NotificationPreference.objects.exists()


@pytest.mark.parametrize("state", ["inactive", "missing"])
def test_gone_members_get_nothing(state):
    member = MemberFactory(is_active=state != "inactive")
    user_id = member.pk if state == "inactive" else member.pk + 1000
    assert notify(user_id=user_id, kind="probe.reply", key="r", data=DATA) is None
    assert not Notification.objects.exists()
    assert not OutgoingEmail.objects.exists()


def test_an_unknown_kind_raises_and_records_nothing():
    member = MemberFactory()
    with pytest.raises(ImproperlyConfigured):
        notify(user_id=member.pk, kind="probe.nope", key="x", data={})
    assert not Notification.objects.exists()


def test_registering_a_taken_code_with_another_kind_raises():
    notification_kind_register(REPLY)  # the same object again: fine
    with pytest.raises(ImproperlyConfigured):
        notification_kind_register(
            NotificationKind(code="probe.reply", label="Other", render=lambda data: "")
        )
    assert REPLY in notification_kinds()


@pytest.mark.parametrize("data", [{"when": object()}, {"n": float("nan")}, ["a"]])
def test_data_must_be_json(data):
    member = MemberFactory()
    with pytest.raises(TypeError):
        notify(user_id=member.pk, kind="probe.reply", key="x", data=data)
    assert not Notification.objects.exists()


@pytest.mark.parametrize("url", ["https://evil.example/", "//evil.example/x", "shop/"])
def test_url_must_be_a_path_on_the_site(url):
    member = MemberFactory()
    with pytest.raises(ValueError):
        notify(user_id=member.pk, kind="probe.reply", key="x", data=DATA, url=url)
    assert not Notification.objects.exists()


def test_email_is_written_in_the_members_language_with_its_links(settings):
    settings.KAMPUNG_BASE_URL = "https://kampung.example"
    # given a member who chose Bahasa Indonesia, while the site runs in English
    member = MemberFactory(language="id")

    # when they are notified
    with translation.override("en"):
        notification = _reply(member)

    # then the email is Indonesian: the row says so, the rendered line and
    # the links are Indonesian
    email = OutgoingEmail.objects.get()
    assert email.key == f"notification:{notification.pk}"
    assert email.language == "id"
    assert "(Masuk)" in email.subject
    assert "(Masuk)" in email.body_text
    assert "https://kampung.example/id/notifications/\n" in email.body_text
    assert "/id/notifications/unsubscribe/" in email.headers["List-Unsubscribe"]


def test_email_of_a_member_without_a_language_uses_the_default():
    member = MemberFactory(language="")
    with translation.override("id"):
        _reply(member)
    email = OutgoingEmail.objects.get()
    assert email.language == "en"
    assert "(Log in)" in email.subject
    assert "/id/" not in email.headers["List-Unsubscribe"]


def test_email_carries_one_click_unsubscribe_headers_and_absolute_links(settings):
    settings.KAMPUNG_BASE_URL = "https://kampung.example"
    member = MemberFactory()
    _reply(member)
    email = OutgoingEmail.objects.get()
    unsubscribe = email.headers["List-Unsubscribe"]
    assert unsubscribe.startswith("<https://kampung.example/notifications/unsubscribe/")
    assert unsubscribe.endswith("/>")
    assert email.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert unsubscribe[1:-1] in email.body_text
    assert "https://kampung.example/notifications/" in email.body_text
    assert 'href="https://kampung.example/notifications/"' in email.body_html


def test_export_holds_the_members_notifications_and_choices():
    member, other = MemberFactory(), MemberFactory()
    _reply(member)
    _reply(other)
    notification_preferences_set(user_id=member.pk, choices={"probe.digested": Delivery.WEB})

    section, data = user_data_export(member)

    assert section == "notifications"
    assert [n["text"] for n in data["notifications"]] == ["Budi replied to Sambal recipes (Log in)"]
    assert data["preferences"] == {"probe.digested": "web"}
    assert user_data_export in hooks.get_hooks(hooks.USER_DATA_EXPORT)


def test_anonymise_deletes_the_members_notifications_and_choices_only():
    member, other = MemberFactory(), MemberFactory()
    _reply(member)
    _reply(other)
    notification_preferences_set(user_id=member.pk, choices={"probe.reply": Delivery.WEB})

    user_anonymise(member)

    assert list(Notification.objects.values_list("recipient_id", flat=True)) == [other.pk]
    assert not NotificationPreference.objects.exists()
    assert user_anonymise in hooks.get_hooks(hooks.USER_ANONYMISE)


def test_anonymise_takes_the_members_name_out_of_what_others_were_told():
    # given two members told of the member's replies, and one told of someone else's
    member, reader, other_reader = MemberFactory(), MemberFactory(), MemberFactory()
    actor = MemberFactory()
    told = _reply(reader, actor_id=member.pk)
    told_too = _reply(other_reader, key="reply:2", actor_id=member.pk)
    not_about_them = _reply(reader, key="reply:3", actor_id=actor.pk)

    user_anonymise(member)

    # then their lines name a former member, in the reader's language
    for notification in (told, told_too):
        notification.refresh_from_db()
        assert "Budi" not in str(notification.data)
        assert notification.data["title"] == "Sambal recipes"
        with translation.override("en"):
            assert notification_text(notification) == (
                "Deleted user replied to Sambal recipes (Log in)"
            )
        with translation.override("id"):
            assert notification_text(notification) == (
                "Pengguna terhapus replied to Sambal recipes (Masuk)"
            )
    not_about_them.refresh_from_db()
    assert not_about_them.data == DATA


def test_inside_quiet_the_notification_is_listed_and_nothing_is_emailed():
    member = MemberFactory()
    with quiet():
        notification = _reply(member)
    assert notification is not None
    assert notification.emailed_at is None
    assert not OutgoingEmail.objects.exists()
