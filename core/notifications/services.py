"""Writes of the notification centre: notify(), reading, preferences,
unsubscribing and the daily digest.

notify() records one Notification in the caller's transaction (an event
handler's), keyed by what it is about, so a second delivery of the event
records nothing. An INSTANT kind also records its email there, through the
mail outbox (core.mailer), rendered in the member's language; the outbox
sends it after commit."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import structlog
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse, translate_url
from django.utils import timezone, translation
from django.utils.translation import gettext

from core.events import is_quiet
from core.exceptions import ApplicationError
from core.mail import absolute_url
from core.mailer import email_record
from core.models import Notification, NotificationPreference, OutgoingEmail
from core.notifications.kinds import (
    Delivery,
    NotificationKind,
    notification_kind_find,
    notification_kind_get,
    notification_kinds,
)

logger = structlog.get_logger(__name__)

KEY_MAX_LENGTH = Notification._meta.get_field("key").max_length
URL_MAX_LENGTH = Notification._meta.get_field("url").max_length
UNSUBSCRIBE_SALT = "core.notifications.unsubscribe"
ALL_KINDS = "*"
# A digest gathers at most this many days of notifications: a member who
# switches a kind to the digest is not sent a year of old ones.
DIGEST_MAX_AGE_DAYS = 7
DIGEST_MAX_ITEMS = 50
# The actor's name in a notification's data (see kinds.py), and the mark
# left in its place once the actor deleted their account.
ACTOR_NAME = "name"
ACTOR_DELETED = "actor_deleted"
ANONYMISE_BATCH = 500


def _member_language(user) -> str:
    language = getattr(user, "language", "") or ""
    return language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def _check_url(url: str) -> str:
    if url and (not url.startswith("/") or url.startswith("//") or "\\" in url):
        raise ValueError(f"A notification's url is a path on this site: {url!r}")
    if len(url) > URL_MAX_LENGTH:
        raise ValueError(f"A notification's url holds at most {URL_MAX_LENGTH} characters.")
    return url


def _check_data(data: dict) -> dict:
    if not isinstance(data, dict):
        raise TypeError("A notification's data is a dict.")
    try:
        # Round-tripped: what is stored is what render() will be given.
        return json.loads(json.dumps(data, allow_nan=False))
    except (TypeError, ValueError) as exc:
        raise TypeError(f"A notification's data must be JSON: {exc}") from None


def localised_path(path: str, language: str | None = None) -> str:
    """A stored site path (in the default language) in `language` (default:
    the active one): /shop/orders/X/ becomes /id/shop/orders/X/."""
    if not path:
        return ""
    language = language or translation.get_language() or settings.LANGUAGE_CODE
    with translation.override(settings.LANGUAGE_CODE):
        return translate_url(path, language)


def notification_text(notification: Notification) -> str:
    """The notification's line in the active language."""
    kind = notification_kind_find(notification.kind)
    if kind is None:
        return notification.kind
    data = notification.data
    if data.get(ACTOR_DELETED):
        data = {**data, ACTOR_NAME: gettext("Deleted user")}
    try:
        return " ".join(str(kind.render(data)).split())
    except Exception:  # a kind's renderer must not break a member's page
        logger.exception("notification_render_failed", kind=notification.kind)
        return str(kind.label)


def delivery_for(*, user_id: int, kind: NotificationKind) -> str:
    chosen = (
        NotificationPreference.objects.filter(user_id=user_id, kind=kind.code)
        .values_list("delivery", flat=True)
        .first()
    )
    return kind.effective(chosen)


def notify(
    *,
    user_id: int,
    kind: str,
    key: str,
    data: dict,
    url: str = "",
    actor_id: int | None = None,
) -> Notification | None:
    """Tell member `user_id` about something, once per `key`.

    Returns the new notification, or None when nothing was recorded: the
    key was recorded already (an event delivered twice), the member is the
    actor, has switched the kind off, or is gone (deleted or inactive).

    `key` names what it is about ("order:12:paid"), unique per member.
    `data` is what the kind's render() needs (JSON). `url` is a path on
    this site in the default language ("/community/t/12/#post-40"); pages
    and emails show it in the reader's language. An INSTANT kind that
    emails records its email in the same transaction (key
    "notification:<id>"), in the member's language, with a one-click
    unsubscribe link."""
    notification_kind = notification_kind_get(kind)
    if not key or len(key) > KEY_MAX_LENGTH:
        raise ValueError(f"A notification key holds 1 to {KEY_MAX_LENGTH} characters: {key!r}")
    data = _check_data(data)
    url = _check_url(url)
    if actor_id is not None and actor_id == user_id:
        return None
    user = (
        get_user_model()
        .objects.filter(pk=user_id, is_active=True)
        .only("pk", "email", "is_active", "language")
        .first()
    )
    if user is None:
        return None
    delivery = delivery_for(user_id=user_id, kind=notification_kind)
    if delivery == Delivery.OFF:
        return None
    # Inside core.events.quiet() (demo data) the mail outbox records nothing:
    # the notification is listed, and not marked as emailed.
    send_email = (
        delivery == Delivery.INSTANT
        and notification_kind.email
        and bool(user.email)
        and not is_quiet()
    )
    with transaction.atomic():
        try:
            with transaction.atomic():
                notification = Notification.objects.create(
                    recipient_id=user_id,
                    kind=kind,
                    key=key,
                    actor_id=actor_id,
                    data=data,
                    url=url,
                    emailed_at=timezone.now() if send_email else None,
                )
        except IntegrityError:
            # Recorded already (the same event again, maybe concurrently).
            return None
        if send_email:
            _email_instant(notification, user=user, kind=notification_kind)
    logger.info("notification_recorded", kind=kind, notification_id=notification.pk)
    return notification


@dataclass(frozen=True, kw_only=True)
class Notice:
    """One notification for `notify_many` (the arguments of `notify`)."""

    user_id: int
    kind: str
    key: str
    data: dict
    url: str = ""
    actor_id: int | None = None


def notify_many(notices: list[Notice]) -> list[Notification]:
    """`notify` for many notifications at once (a batch of events): the
    members, their preferences and the keys already recorded are read once
    for all, and the new notifications written with one statement. Returns
    the notifications recorded. Should a key be recorded concurrently
    meanwhile, each is recorded on its own instead (once, as `notify`)."""
    checked = []
    for notice in notices:
        kind = notification_kind_get(notice.kind)
        if not notice.key or len(notice.key) > KEY_MAX_LENGTH:
            raise ValueError(
                f"A notification key holds 1 to {KEY_MAX_LENGTH} characters: {notice.key!r}"
            )
        if notice.actor_id is not None and notice.actor_id == notice.user_id:
            continue
        checked.append((notice, kind, _check_data(notice.data), _check_url(notice.url)))
    if not checked:
        return []
    user_ids = {notice.user_id for notice, *_rest in checked}
    users = {
        user.pk: user
        for user in get_user_model()
        .objects.filter(pk__in=user_ids, is_active=True)
        .only("pk", "email", "is_active", "language")
    }
    chosen = {
        (row[0], row[1]): row[2]
        for row in NotificationPreference.objects.filter(
            user_id__in=users, kind__in={notice.kind for notice, *_rest in checked}
        ).values_list("user_id", "kind", "delivery")
    }
    recorded = set(
        Notification.objects.filter(
            recipient_id__in=users, key__in={notice.key for notice, *_rest in checked}
        ).values_list("recipient_id", "key")
    )
    now = timezone.now()
    new: list[tuple[Notification, NotificationKind, object, bool]] = []
    for notice, kind, data, url in checked:
        user = users.get(notice.user_id)
        if user is None or (notice.user_id, notice.key) in recorded:
            continue
        delivery = kind.effective(chosen.get((notice.user_id, notice.kind)))
        if delivery == Delivery.OFF:
            continue
        recorded.add((notice.user_id, notice.key))
        send_email = delivery == Delivery.INSTANT and kind.email and bool(user.email)
        send_email = send_email and not is_quiet()
        notification = Notification(
            recipient_id=notice.user_id,
            kind=notice.kind,
            key=notice.key,
            actor_id=notice.actor_id,
            data=data,
            url=url,
            emailed_at=now if send_email else None,
        )
        new.append((notification, kind, user, send_email))
    if not new:
        return []
    try:
        with transaction.atomic():
            Notification.objects.bulk_create([notification for notification, *_rest in new])
            for notification, kind, user, send_email in new:
                if send_email:
                    _email_instant(notification, user=user, kind=kind)
    except IntegrityError:
        # One was recorded concurrently: record each on its own.
        made = [
            notify(
                user_id=notification.recipient_id,
                kind=notification.kind,
                key=notification.key,
                data=notification.data,
                url=notification.url,
                actor_id=notification.actor_id,
            )
            for notification, *_rest in new
        ]
        return [notification for notification in made if notification is not None]
    logger.info("notifications_recorded", count=len(new))
    return [notification for notification, *_rest in new]


def _unsubscribe_headers(url: str) -> dict[str, str]:
    # RFC 2369 and RFC 8058: mail clients offer a one-click unsubscribe that
    # POSTs "List-Unsubscribe=One-Click" to the URL.
    return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def _email_context(*, user, language: str, kind_code: str) -> dict:
    unsubscribe_url = absolute_url(
        reverse(
            "notifications:unsubscribe",
            kwargs={"token": unsubscribe_token(user_id=user.pk, kind=kind_code)},
        )
    )
    try:
        preferences_url = absolute_url(reverse("notifications:preferences"))
    except NoReverseMatch:
        preferences_url = ""
    return {
        "site_name": settings.SITE_NAME,
        "unsubscribe_url": unsubscribe_url,
        "preferences_url": preferences_url,
        "language": language,
    }


def _item(notification: Notification, language: str) -> dict:
    path = localised_path(notification.url, language)
    return {
        "text": notification_text(notification),
        "url": absolute_url(path) if path else "",
        "created_at": notification.created_at,
    }


def _email_instant(notification: Notification, *, user, kind: NotificationKind) -> None:
    language = _member_language(user)
    with translation.override(language):
        context = _email_context(user=user, language=language, kind_code=kind.code)
        item = _item(notification, language)
        context |= {"item": item, "kind": kind, "kind_label": str(kind.label)}
        email_record(
            key=f"notification:{notification.pk}",
            kind=f"notification.{kind.code}",
            to=user.email,
            subject=f"[{settings.SITE_NAME}] {item['text']}",
            body_text=render_to_string("notifications/email/notification.txt", context),
            body_html=render_to_string("notifications/email/notification.html", context),
            headers=_unsubscribe_headers(context["unsubscribe_url"]),
        )


# ------------------------------------------------------------------ reading


def notification_mark_read(*, user_id: int, notification_id: int) -> Notification:
    """Mark one of the member's own notifications read (again: harmless).
    Another member's, or none, is a 404 refusal."""
    notification = Notification.objects.filter(pk=notification_id, recipient_id=user_id).first()
    if notification is None:
        raise ApplicationError("No such notification.", code="not_found", status_code=404)
    if notification.read_at is None:
        now = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=now)
        notification.read_at = now
    return notification


def notifications_mark_all_read(*, user_id: int) -> int:
    """Mark every unread notification of the member read; returns how many."""
    return Notification.objects.filter(recipient_id=user_id, read_at__isnull=True).update(
        read_at=timezone.now()
    )


# -------------------------------------------------------------- preferences


def notification_preferences_set(*, user_id: int, choices: dict[str, str]) -> int:
    """Store the member's delivery per kind code; returns how many changed.
    An unknown kind, or a delivery the kind does not offer (Off for a kind
    that cannot be switched off, email for one the app mails itself), is
    refused and nothing is stored."""
    resolved = []
    for code, delivery in choices.items():
        kind = notification_kind_find(code)
        if kind is None:
            raise ApplicationError(f"Unknown notification kind {code!r}.", code="unknown_kind")
        if delivery not in {value for value, _label in kind.choices}:
            raise ApplicationError(
                f"{kind.label}: this delivery is not available.", code="invalid_delivery"
            )
        resolved.append((kind, delivery))
    changed = 0
    with transaction.atomic():
        existing = dict(
            NotificationPreference.objects.select_for_update()
            .filter(user_id=user_id, kind__in=[kind.code for kind, _ in resolved])
            .values_list("kind", "delivery")
        )
        for kind, delivery in resolved:
            if existing.get(kind.code) == delivery:
                continue
            if kind.code in existing:
                NotificationPreference.objects.filter(user_id=user_id, kind=kind.code).update(
                    delivery=delivery, updated_at=timezone.now()
                )
            else:
                try:
                    with transaction.atomic():
                        NotificationPreference.objects.create(
                            user_id=user_id, kind=kind.code, delivery=delivery
                        )
                except IntegrityError:  # stored concurrently: this choice wins
                    NotificationPreference.objects.filter(user_id=user_id, kind=kind.code).update(
                        delivery=delivery, updated_at=timezone.now()
                    )
            changed += 1
    return changed


# ------------------------------------------------------------ unsubscribing


def unsubscribe_token(*, user_id: int, kind: str = ALL_KINDS) -> str:
    """A signed token that switches `kind` (or every kind) of member
    `user_id` to on-the-site-only. It never expires: an old email's link
    keeps working."""
    return signing.dumps({"u": user_id, "k": kind}, salt=UNSUBSCRIBE_SALT, compress=True)


def unsubscribe_token_read(token: str) -> tuple[int, str] | None:
    """(user id, kind code or ALL_KINDS), or None for a forged, altered or
    unknown-kind token."""
    try:
        payload = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(payload, dict):
        return None
    user_id, kind = payload.get("u"), payload.get("k")
    if not isinstance(user_id, int) or isinstance(user_id, bool) or not isinstance(kind, str):
        return None
    if kind != ALL_KINDS and notification_kind_find(kind) is None:
        return None
    return user_id, kind


def notifications_unsubscribe(*, token: str) -> list[NotificationKind] | None:
    """Switch the token's kind (or every kind that emails) to on-the-site
    only. Returns the kinds switched, or None for a bad token."""
    read = unsubscribe_token_read(token)
    if read is None:
        return None
    user_id, code = read
    if not get_user_model().objects.filter(pk=user_id).exists():
        return None
    kinds = (
        [kind for kind in notification_kinds() if kind.email]
        if code == ALL_KINDS
        else [notification_kind_get(code)]
    )
    notification_preferences_set(
        user_id=user_id,
        choices={
            kind.code: Delivery.WEB
            for kind in kinds
            if Delivery.WEB in {value for value, _label in kind.choices}
        },
    )
    logger.info("notifications_unsubscribed", user_id=user_id, kind=code)
    return kinds


# ------------------------------------------------------------------- digest


def _daily_filter() -> Q:
    """Notifications whose kind goes to the recipient's daily digest: the
    member chose DAILY, or never chose and the kind's default is DAILY."""
    emailing = [kind for kind in notification_kinds() if kind.email]
    chosen = NotificationPreference.objects.filter(
        user_id=OuterRef("recipient_id"), kind=OuterRef("kind")
    )
    by_default = [kind.code for kind in emailing if kind.default == Delivery.DAILY]
    return Q(kind__in=[kind.code for kind in emailing]) & (
        Q(Exists(chosen.filter(delivery=Delivery.DAILY)))
        | (Q(kind__in=by_default) & ~Q(Exists(chosen)))
    )


def _digest_candidates(now: datetime):
    return Notification.objects.filter(
        _daily_filter(),
        read_at__isnull=True,
        emailed_at__isnull=True,
        created_at__gte=now - timedelta(days=DIGEST_MAX_AGE_DAYS),
        created_at__lte=now,
    )


def digest_key(*, user_id: int, day: date) -> str:
    return f"digest:{user_id}:{day.isoformat()}"


def notification_digests_send(*, now: datetime | None = None) -> int:
    """The beat task (hourly): from NOTIFICATION_DIGEST_HOUR local time on,
    each member with unread, un-emailed notifications of daily kinds gets
    one digest per day. Returns how many digests were recorded."""
    now = now or timezone.now()
    if timezone.localtime(now).hour < settings.NOTIFICATION_DIGEST_HOUR:
        return 0
    day = timezone.localtime(now).date()
    user_ids = _digest_candidates(now).order_by().values_list("recipient_id", flat=True).distinct()
    sent = 0
    for user_id in list(user_ids):
        if notification_digest_send(user_id=user_id, now=now, day=day) is not None:
            sent += 1
    return sent


@transaction.atomic
def notification_digest_send(*, user_id: int, now: datetime, day: date) -> OutgoingEmail | None:
    """Record member `user_id`'s digest for `day`, once: the member's row is
    locked, so a concurrent run waits, then finds the day's digest recorded
    and its notifications marked emailed."""
    user = (
        get_user_model()
        .objects.select_for_update()
        .filter(pk=user_id, is_active=True)
        .only("pk", "email", "is_active", "language")
        .first()
    )
    if user is None or not user.email:
        return None
    key = digest_key(user_id=user_id, day=day)
    if OutgoingEmail.objects.filter(key=key).exists():
        return None
    notifications = list(
        _digest_candidates(now).filter(recipient_id=user_id).order_by("created_at", "pk")
    )
    if not notifications:
        return None
    shown = notifications[-DIGEST_MAX_ITEMS:]
    language = _member_language(user)
    with translation.override(language):
        context = _email_context(user=user, language=language, kind_code=ALL_KINDS)
        try:
            list_url = absolute_url(reverse("notifications:list"))
        except NoReverseMatch:
            list_url = ""
        context |= {
            "items": [_item(notification, language) for notification in shown],
            "more": len(notifications) - len(shown),
            "list_url": list_url,
        }
        subject = translation.ngettext(
            "Your daily digest: %(count)d new notification",
            "Your daily digest: %(count)d new notifications",
            len(notifications),
        ) % {"count": len(notifications)}
        email = email_record(
            key=key,
            kind="notification.digest",
            to=user.email,
            subject=f"[{settings.SITE_NAME}] {subject}",
            body_text=render_to_string("notifications/email/digest.txt", context),
            body_html=render_to_string("notifications/email/digest.html", context),
            headers=_unsubscribe_headers(context["unsubscribe_url"]),
        )
    Notification.objects.filter(pk__in=[n.pk for n in notifications]).update(emailed_at=now)
    logger.info("notification_digest_recorded", user_id=user_id, count=len(notifications))
    return email


# ------------------------------------------------------------------ privacy


def user_data_export(user) -> tuple[str, dict]:
    """The USER_DATA_EXPORT hook: the member's notifications and choices."""
    notifications = Notification.objects.filter(recipient=user).order_by("created_at", "pk")
    return "notifications", {
        "notifications": [
            {
                "kind": n.kind,
                "text": notification_text(n),
                "data": n.data,
                "url": n.url,
                "created_at": n.created_at.isoformat(),
                "read_at": n.read_at.isoformat() if n.read_at else None,
                "emailed_at": n.emailed_at.isoformat() if n.emailed_at else None,
            }
            for n in notifications
        ],
        "preferences": dict(
            NotificationPreference.objects.filter(user=user)
            .order_by("kind")
            .values_list("kind", "delivery")
        ),
    }


def user_anonymise(user) -> None:
    """The USER_ANONYMISE hook: the member's notifications and choices go,
    and what others were told of the member keeps no name (their lines name
    a deleted user, in the reader's language)."""
    Notification.objects.filter(recipient=user).delete()
    NotificationPreference.objects.filter(user=user).delete()
    told = Notification.objects.filter(actor=user).only("pk", "data").order_by("pk")
    scrubbed: list[Notification] = []
    for notification in told.iterator(chunk_size=ANONYMISE_BATCH):
        data = {k: v for k, v in notification.data.items() if k != ACTOR_NAME}
        notification.data = {**data, ACTOR_DELETED: True}
        scrubbed.append(notification)
        if len(scrubbed) == ANONYMISE_BATCH:
            Notification.objects.bulk_update(scrubbed, ["data"])
            scrubbed = []
    if scrubbed:
        Notification.objects.bulk_update(scrubbed, ["data"])
