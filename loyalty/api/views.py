"""The rewards program's REST API, under /api/v1/loyalty/: the member's
balance and history, the badges and the challenges."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_serializer
from rest_framework import generics, serializers
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.schema import AUTH_ERRORS
from loyalty.models import LedgerEntry
from loyalty.selectors.badges import badge_catalogue, badges_of, challenges_for
from loyalty.selectors.ledger import history_of
from loyalty.selectors.rewards import rewards_overview


def _example(name: str, value) -> OpenApiExample:
    return OpenApiExample(name, value=value, response_only=True, status_codes=["200"])


@extend_schema_serializer(component_name="PointsExpiring")
class ExpiringSerializer(serializers.Serializer):
    points = serializers.IntegerField(help_text="Available points that will expire.")
    on = serializers.DateField(help_text="The day they expire (the shop's time zone).")


class BalanceApi(APIView):
    """The member's points: available to spend, pending (purchase points in
    their return window) and owed (taken back beyond the balance); and, once
    the member is due a reminder, the available points that expire and when
    (earning or spending any points keeps them)."""

    permission_classes = [IsAuthenticated]

    @extend_schema_serializer(component_name="PointsBalance")
    class OutputSerializer(serializers.Serializer):
        available = serializers.IntegerField()
        pending = serializers.IntegerField()
        owed = serializers.IntegerField()
        worth = serializers.DecimalField(
            max_digits=14,
            decimal_places=2,
            help_text="What the available points take off an order.",
        )
        point_value = serializers.DecimalField(max_digits=12, decimal_places=4)
        expiring = ExpiringSerializer(
            allow_null=True,
            help_text="Null unless the member's points expire soon (a reminder is due).",
        )

    @extend_schema(
        responses={200: OutputSerializer, **AUTH_ERRORS},
        examples=[
            _example(
                "A member's balance",
                {
                    "available": 1250,
                    "pending": 300,
                    "owed": 0,
                    "worth": "12500.00",
                    "point_value": "10.0000",
                    "expiring": None,
                },
            ),
            _example(
                "Points about to expire",
                {
                    "available": 400,
                    "pending": 0,
                    "owed": 0,
                    "worth": "4000.00",
                    "point_value": "10.0000",
                    "expiring": {"points": 400, "on": "2027-01-15"},
                },
            ),
        ],
    )
    def get(self, request):
        overview = rewards_overview(user=request.user)
        return Response(
            self.OutputSerializer(
                {
                    "available": overview.balance.available,
                    "pending": overview.balance.pending,
                    "owed": overview.balance.debt,
                    "worth": overview.value,
                    "point_value": overview.point_value,
                    "expiring": (
                        {"points": overview.expiry.points, "on": overview.expiry.on}
                        if overview.expiry is not None
                        else None
                    ),
                }
            ).data
        )


@extend_schema_serializer(component_name="PointsEntry")
class EntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = LedgerEntry
        fields = ["id", "kind", "bucket", "points", "rule", "area", "subject", "note", "created_at"]


class HistoryApi(generics.ListAPIView):
    """The member's ledger entries, newest first."""

    permission_classes = [IsAuthenticated]
    serializer_class = EntrySerializer
    filter_backends: list = []

    def get_queryset(self):
        return history_of(user_id=self.request.user.pk)

    @extend_schema(
        responses={200: EntrySerializer(many=True), **AUTH_ERRORS},
        examples=[
            _example(
                "A page of entries",
                {
                    "id": 812,
                    "kind": "earn",
                    "bucket": "pending",
                    "points": 45,
                    "rule": "purchase",
                    "area": "shop",
                    "subject": "order:123",
                    "note": "",
                    "created_at": "2026-12-01T09:30:00+07:00",
                },
            )
        ],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


@extend_schema_serializer(component_name="Badge")
class BadgeSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    level = serializers.CharField()
    held = serializers.BooleanField(help_text="The member holds it (false for visitors).")
    awarded_at = serializers.DateTimeField(allow_null=True)


class BadgeListApi(APIView):
    """Every badge of the program, with whether the member holds it."""

    permission_classes = [AllowAny]

    @extend_schema(
        responses={200: BadgeSerializer(many=True)},
        examples=[
            _example(
                "Badges",
                [
                    {
                        "code": "first-review",
                        "name": "First review",
                        "description": "Wrote a first review",
                        "level": "bronze",
                        "held": True,
                        "awarded_at": "2026-11-20T10:00:00+07:00",
                    }
                ],
            )
        ],
    )
    def get(self, request):
        held = {}
        if request.user.is_authenticated:
            held = {h.badge_id: h.awarded_at for h in badges_of(user_id=request.user.pk)}
        rows = [
            {
                "code": badge.code,
                "name": badge.name,
                "description": badge.description,
                "level": badge.level,
                "held": badge.pk in held,
                "awarded_at": held.get(badge.pk),
            }
            for badge in badge_catalogue()
        ]
        return Response(BadgeSerializer(rows, many=True).data)


@extend_schema_serializer(component_name="Challenge")
class ChallengeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    description = serializers.CharField()
    rule = serializers.CharField()
    target = serializers.IntegerField()
    progress = serializers.IntegerField(allow_null=True, help_text="Null for visitors.")
    completed = serializers.BooleanField()
    bonus_points = serializers.IntegerField()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()


class ChallengeListApi(APIView):
    """The challenges open now, with the member's progress."""

    permission_classes = [AllowAny]

    @extend_schema(
        responses={200: ChallengeSerializer(many=True)},
        examples=[
            _example(
                "Open challenges",
                [
                    {
                        "id": 3,
                        "name": "Three reviews this month",
                        "description": "",
                        "rule": "review",
                        "target": 3,
                        "progress": 1,
                        "completed": False,
                        "bonus_points": 100,
                        "starts_at": "2026-12-01T00:00:00+07:00",
                        "ends_at": "2027-01-01T00:00:00+07:00",
                    }
                ],
            )
        ],
    )
    def get(self, request):
        signed_in = request.user.is_authenticated
        rows = [
            {
                "id": item.challenge.pk,
                "name": item.challenge.name,
                "description": item.challenge.description,
                "rule": item.challenge.rule,
                "target": item.challenge.target,
                "progress": item.count if signed_in else None,
                "completed": item.completed,
                "bonus_points": item.challenge.bonus_points,
                "starts_at": item.challenge.starts_at,
                "ends_at": item.challenge.ends_at,
            }
            for item in challenges_for(user_id=request.user.pk if signed_in else None)
        ]
        return Response(ChallengeSerializer(rows, many=True).data)
