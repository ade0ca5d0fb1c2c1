"""The notification centre's REST API: the member's own notifications only
(another member's is a 404, as is one that does not exist)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_serializer
from rest_framework import generics, serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.schema import AUTH_ERRORS, NOT_FOUND, WRITE_ERRORS
from core.api.serializers import StrictInputSerializer
from core.models import Notification
from core.notifications import selectors, services

NOTIFICATION_EXAMPLE = {
    "id": 40,
    "kind": "shop.order_status",
    "text": "Payment received for order KP-2026-000123",
    "url": "https://shop.example/shop/orders/KP-2026-000123/",
    "data": {"number": "KP-2026-000123", "status": "paid"},
    "actor_id": None,
    "read": False,
    "read_at": None,
    "created_at": "2026-12-01T09:30:00+07:00",
}


def _response_example(name: str, value, *, summary: str = "") -> OpenApiExample:
    return OpenApiExample(
        name, value=value, response_only=True, status_codes=["200"], summary=summary
    )


@extend_schema_serializer(component_name="Notification")
class NotificationSerializer(serializers.ModelSerializer):
    text = serializers.SerializerMethodField(help_text="One line, in the request's language.")
    url = serializers.SerializerMethodField(help_text="What it is about; empty when nothing.")
    read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "kind", "text", "url", "data", "actor_id", "read", "read_at", "created_at"]

    def get_text(self, notification: Notification) -> str:
        return services.notification_text(notification)

    def get_url(self, notification: Notification) -> str:
        path = services.localised_path(notification.url)
        return self.context["request"].build_absolute_uri(path) if path else ""

    def get_read(self, notification: Notification) -> bool:
        return notification.read_at is not None


class NotificationListApi(generics.ListAPIView):
    """The logged-in member's notifications, newest first."""

    permission_classes = [IsAuthenticated]
    serializer_class = NotificationSerializer
    filter_backends: list = []

    @extend_schema_serializer(component_name="NotificationFilters")
    class FilterSerializer(StrictInputSerializer):
        unread = serializers.BooleanField(
            required=False,
            allow_null=True,
            default=None,
            help_text="true: unread only; false: read only; absent: all.",
        )

    def get_queryset(self):
        params = self.FilterSerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        return selectors.notification_list(
            user_id=self.request.user.pk, unread=params.validated_data.get("unread")
        )

    @extend_schema(
        parameters=[FilterSerializer],
        responses={200: NotificationSerializer(many=True), **AUTH_ERRORS},
        examples=[
            # drf-spectacular wraps it in the page's envelope.
            _response_example("A page of notifications", NOTIFICATION_EXAMPLE)
        ],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class NotificationReadApi(APIView):
    """Mark one of the member's notifications read (again: no change)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=None,
        responses={200: NotificationSerializer, **WRITE_ERRORS, **NOT_FOUND},
        examples=[
            _response_example(
                "Marked read",
                {**NOTIFICATION_EXAMPLE, "read": True, "read_at": "2026-12-01T10:02:11+07:00"},
            )
        ],
    )
    def post(self, request, notification_id: int):
        notification = services.notification_mark_read(
            user_id=request.user.pk, notification_id=notification_id
        )
        return Response(NotificationSerializer(notification, context={"request": request}).data)


class NotificationReadAllApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema_serializer(component_name="NotificationsMarkedRead")
    class OutputSerializer(serializers.Serializer):
        marked = serializers.IntegerField(help_text="How many were unread until now.")

    @extend_schema(
        request=None,
        responses={200: OutputSerializer, **WRITE_ERRORS},
        examples=[_response_example("Three marked read", {"marked": 3})],
    )
    def post(self, request):
        marked = services.notifications_mark_all_read(user_id=request.user.pk)
        return Response(self.OutputSerializer({"marked": marked}).data)


class NotificationUnreadCountApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema_serializer(component_name="NotificationUnreadCount")
    class OutputSerializer(serializers.Serializer):
        count = serializers.IntegerField()

    @extend_schema(
        responses={200: OutputSerializer, **AUTH_ERRORS},
        examples=[_response_example("Three unread", {"count": 3})],
    )
    def get(self, request):
        count = selectors.notification_unread_count(user_id=request.user.pk)
        return Response(self.OutputSerializer({"count": count}).data)
