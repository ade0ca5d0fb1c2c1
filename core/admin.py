from __future__ import annotations

from datetime import timedelta

from django.contrib import admin, messages
from django.utils import timezone
from django.utils.timesince import timesince
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from core import mailer, services
from core.models import (
    Notification,
    NotificationPreference,
    OutboxDelivery,
    OutboxEvent,
    OutgoingEmail,
)
from core.notifications.services import notification_text
from core.selectors import outbox_lag


def outbox_lag_summary() -> str:
    """One line for staff: how far behind the outbox is."""
    lag = outbox_lag()
    counts = {"pending": lag["pending"], "dead": lag["dead"]}
    if lag["oldest_pending_seconds"] is None:
        return gettext("Outbox: nothing pending, %(dead)d dead.") % counts
    now = timezone.now()
    age = timesince(now - timedelta(seconds=lag["oldest_pending_seconds"]), now)
    return gettext(
        "Outbox lag: the oldest pending delivery was published %(age)s ago; "
        "%(pending)d pending, %(dead)d dead."
    ) % {"age": age, **counts}


class OutboxDeliveryInline(admin.TabularInline):
    model = OutboxDelivery
    extra = 0
    can_delete = False
    fields = ["handler", "status", "attempts", "next_attempt_at", "delivered_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(OutboxEvent)
class OutboxEventAdmin(admin.ModelAdmin):
    list_display = ["event_type", "id", "version", "created_at"]
    list_filter = ["event_type"]
    search_fields = ["id", "event_type"]
    date_hierarchy = "created_at"
    readonly_fields = ["id", "event_type", "version", "payload", "created_at", "queued_until"]
    inlines = [OutboxDeliveryInline]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(OutboxDelivery)
class OutboxDeliveryAdmin(admin.ModelAdmin):
    list_display = ["handler", "event", "status", "attempts", "next_attempt_at", "delivered_at"]
    list_filter = ["status", "handler"]
    search_fields = ["handler", "event__id", "event__event_type", "last_error"]
    list_select_related = ["event"]
    readonly_fields = [
        "event",
        "handler",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
        "delivered_at",
        "created_at",
        "updated_at",
    ]
    actions = ["retry"]

    def has_add_permission(self, request) -> bool:
        return False

    def changelist_view(self, request, extra_context=None):
        extra_context = {"outbox_lag_summary": outbox_lag_summary(), **(extra_context or {})}
        return super().changelist_view(request, extra_context=extra_context)

    @admin.action(description=_("Retry the selected deliveries"), permissions=["change"])
    def retry(self, request, queryset) -> None:
        count = services.outbox_deliveries_retry(deliveries=queryset)
        self.message_user(
            request,
            ngettext(
                "%(count)d delivery queued for retry.",
                "%(count)d deliveries queued for retry.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )


@admin.register(OutgoingEmail)
class OutgoingEmailAdmin(admin.ModelAdmin):
    """The mail outbox. Rows are written by core.mailer only; staff read them
    and retry what failed. Bodies of a message that holds a sign-in secret
    (login code, reset link) are never shown."""

    list_display = ["key", "kind", "recipients", "status", "attempts", "next_attempt_at", "sent_at"]
    list_filter = ["status", "kind"]
    search_fields = ["key", "to", "subject"]
    date_hierarchy = "created_at"
    fields = [
        "key",
        "kind",
        "status",
        "from_email",
        "recipients",
        "subject",
        "text_body",
        "html_body",
        "language",
        "attempts",
        "next_attempt_at",
        "sent_at",
        "last_error",
        "created_at",
        "updated_at",
    ]
    readonly_fields = fields
    actions = ["retry"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.display(description=_("to"))
    def recipients(self, obj: OutgoingEmail) -> str:
        return ", ".join(obj.to)

    def _body(self, obj: OutgoingEmail, body: str) -> str:
        if mailer.email_is_sensitive(obj):
            return _("(hidden: this message holds a sign-in secret)")
        return body

    @admin.display(description=_("text body"))
    def text_body(self, obj: OutgoingEmail) -> str:
        return self._body(obj, obj.body_text)

    @admin.display(description=_("HTML body"))
    def html_body(self, obj: OutgoingEmail) -> str:
        return self._body(obj, obj.body_html)

    @admin.action(description=_("Retry the selected emails"), permissions=["change"])
    def retry(self, request, queryset) -> None:
        count = mailer.emails_retry(emails=queryset)
        self.message_user(
            request,
            ngettext(
                "%(count)d email queued for sending.",
                "%(count)d emails queued for sending.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )


class NotificationReadFilter(admin.SimpleListFilter):
    title = _("read")
    parameter_name = "read"

    def lookups(self, request, model_admin):
        return [("no", _("Unread")), ("yes", _("Read"))]

    def queryset(self, request, queryset):
        if self.value() == "no":
            return queryset.filter(read_at__isnull=True)
        if self.value() == "yes":
            return queryset.filter(read_at__isnull=False)
        return queryset


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """What members were told (core.notifications.notify); read-only."""

    list_display = ["recipient", "kind", "summary", "created_at", "read_at", "emailed_at"]
    list_filter = ["kind", NotificationReadFilter]
    search_fields = ["recipient__email", "key"]
    list_select_related = ["recipient"]
    date_hierarchy = "created_at"
    fields = [
        "recipient",
        "kind",
        "summary",
        "key",
        "actor",
        "data",
        "url",
        "created_at",
        "read_at",
        "emailed_at",
    ]
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("text"))
    def summary(self, obj: Notification) -> str:
        return notification_text(obj)


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "kind", "delivery", "updated_at"]
    list_filter = ["kind", "delivery"]
    search_fields = ["user__email", "kind"]
    list_select_related = ["user"]
    fields = ["user", "kind", "delivery", "updated_at"]
    readonly_fields = fields

    # Members choose for themselves (the preferences page, the unsubscribe
    # link); staff only look.
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
