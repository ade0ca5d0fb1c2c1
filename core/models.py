from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class BaseModel(models.Model):
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class OutboxEvent(models.Model):
    """A domain event, written in the same transaction as the change it
    describes. Its deliveries (one per subscriber) carry the delivery state."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # The name the event class declares (DomainEvent's `name=`), never its
    # module path; `version` is the payload version it was written at.
    event_type = models.CharField(_("event type"), max_length=200, db_index=True)
    version = models.PositiveSmallIntegerField(_("payload version"), default=1)
    payload = models.JSONField(_("payload"))
    created_at = models.DateTimeField(_("created at"), db_index=True)
    # Set while the relay's task for this event waits in the broker's queue,
    # so the next relay ticks do not queue it again; a worker clears it.
    queued_until = models.DateTimeField(_("queued until"), null=True, blank=True)
    # Published inside core.events.quiet() (demo data): its handlers record no email.
    quiet = models.BooleanField(_("quiet"), default=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("outbox event")
        verbose_name_plural = _("outbox events")

    def __str__(self) -> str:
        return f"{self.event_type} {self.id}"


class OutboxDelivery(models.Model):
    """One subscriber's delivery of one event. Each attempt is counted (and
    the row leased) in a committed step before the handler runs; the handler
    runs in the transaction that marks the row delivered, so its database
    writes and the mark commit together (core.services)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DELIVERED = "delivered", _("Delivered")
        DEAD = "dead", _("Dead")

    event = models.ForeignKey(OutboxEvent, on_delete=models.CASCADE, related_name="deliveries")
    # The handler's declared name (`subscribe(..., name=)`), never its module path.
    handler = models.CharField(_("handler"), max_length=300)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"))
    last_error = models.TextField(_("last error"), blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("outbox delivery")
        verbose_name_plural = _("outbox deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["event", "handler"], name="core_delivery_unique_event_handler"
            )
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="core_delivery_pending_idx",
                condition=models.Q(status="pending"),
            ),
            # The outbox lag (/healthz, the admin): the oldest pending
            # delivery and the pending and dead counts read small indexes.
            models.Index(
                fields=["created_at"],
                name="core_delivery_pending_age_idx",
                condition=models.Q(status="pending"),
            ),
            models.Index(
                fields=["created_at"],
                name="core_delivery_dead_idx",
                condition=models.Q(status="dead"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.handler} <- {self.event_id} ({self.status})"


class OutgoingEmail(models.Model):
    """One email, recorded in the transaction of the change it is about and
    sent afterwards by core.tasks.send_email (see core.mailer). `key` names
    what it is about ("order:<id>:paid:<recipient>"): recording the same key
    twice records one email, so a repeated event sends nothing new.

    For a row in SENDING, `next_attempt_at` is the end of the sender's lease:
    a sender that died leaves the row due again once it has passed."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed, will retry")
        DEAD = "dead", _("Dead")

    key = models.CharField(_("key"), max_length=255)
    kind = models.CharField(_("kind"), max_length=64, db_index=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    from_email = models.CharField(_("from"), max_length=320)
    to = models.JSONField(_("to"), default=list)
    subject = models.CharField(_("subject"), max_length=998)
    body_text = models.TextField(_("text body"))
    body_html = models.TextField(_("HTML body"), blank=True)
    headers = models.JSONField(_("headers"), default=dict, blank=True)
    language = models.CharField(_("language"), max_length=16, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"))
    claim_token = models.UUIDField(_("claim token"), null=True, blank=True, editable=False)
    last_error = models.TextField(_("last error"), blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("outgoing email")
        verbose_name_plural = _("outgoing emails")
        constraints = [models.UniqueConstraint(fields=["key"], name="core_email_unique_key")]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="core_email_due_idx",
                condition=models.Q(status__in=["pending", "sending", "failed"]),
            )
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.status})"


class NotificationDelivery(models.TextChoices):
    """How a member gets one kind of notification (core.notifications.Delivery)."""

    INSTANT = "instant", _("Instant email")
    DAILY = "daily", _("Daily digest")
    WEB = "web", _("On the site only")
    OFF = "off", _("Off")


class Notification(models.Model):
    """One line in a member's notification centre (core.notifications).
    `key` names the event it is about, unique per recipient: an event
    delivered twice records one notification."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("recipient"),
    )
    kind = models.CharField(_("kind"), max_length=64)
    key = models.CharField(_("key"), max_length=200)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    data = models.JSONField(_("data"), default=dict, blank=True)
    url = models.CharField(_("link"), max_length=500, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    # Set once the notification went out by email, alone or in a digest.
    emailed_at = models.DateTimeField(_("emailed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "key"], name="core_notification_unique_recipient_key"
            )
        ]
        indexes = [
            # The member's list, newest first.
            models.Index(fields=["recipient", "-created_at"], name="core_notification_list_idx"),
            # The header's unread count on every signed-in page.
            models.Index(
                fields=["recipient"],
                name="core_notification_unread_idx",
                condition=models.Q(read_at__isnull=True),
            ),
            # The daily digest's candidates.
            models.Index(
                fields=["created_at"],
                name="core_notification_digest_idx",
                condition=models.Q(read_at__isnull=True, emailed_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} -> {self.recipient_id} ({self.key})"

    @property
    def is_unread(self) -> bool:
        return self.read_at is None


class NotificationPreference(models.Model):
    """How a member wants one kind of notification delivered; a kind without
    a row uses the kind's default."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_preferences",
        verbose_name=_("user"),
    )
    kind = models.CharField(_("kind"), max_length=64)
    delivery = models.CharField(_("delivery"), max_length=16, choices=NotificationDelivery.choices)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "kind"], name="core_notification_pref_unique_user_kind"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind}: {self.delivery}"
