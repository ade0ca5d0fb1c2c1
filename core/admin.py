from __future__ import annotations

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core import services
from core.models import OutboxDelivery, OutboxEvent


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
    list_display = ["event_type", "id", "created_at"]
    list_filter = ["event_type"]
    search_fields = ["id", "event_type"]
    date_hierarchy = "created_at"
    readonly_fields = ["id", "event_type", "payload", "created_at"]
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
