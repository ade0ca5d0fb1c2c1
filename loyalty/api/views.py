"""The rewards program's REST API, under /api/v1/loyalty/: the member's
balance and history, the badges, the challenges and the bounties."""

from __future__ import annotations

from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    extend_schema_serializer,
)
from rest_framework import generics, serializers, status
from rest_framework.parsers import JSONParser
from rest_framework.permissions import AllowAny, IsAuthenticated, IsAuthenticatedOrReadOnly
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.schema import AUTH_ERRORS, NOT_FOUND, WRITE_ERRORS, Error
from core.api.serializers import StrictInputSerializer
from loyalty.models import LedgerEntry
from loyalty.selectors.badges import badge_catalogue, badges_of, challenges_for
from loyalty.selectors.bounties import BountyRow, bounty_rows, open_bounties
from loyalty.selectors.ledger import history_of
from loyalty.selectors.rewards import rewards_overview
from loyalty.services.bounties import bounty_offer


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


# ------------------------------------------------------------------ bounties
BOUNTY_EXAMPLE = {
    "id": 14,
    "question": {
        "id": 5,
        "title": "Is the batik hand-drawn or printed?",
        "url": "https://shop.example/community/questions/5/is-the-batik-hand-drawn-or-printed/",
    },
    "points": 100,
    "status": "open",
    "offered_by": {"id": 9, "name": "Budi S."},
    "deadline": "2026-12-08T09:30:00+07:00",
    "created_at": "2026-12-01T09:30:00+07:00",
}


@extend_schema_serializer(component_name="BountyQuestion")
class BountyQuestionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    url = serializers.CharField(help_text="The question's page; empty once it is not public.")


@extend_schema_serializer(component_name="BountyOfferer")
class BountyOffererSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


@extend_schema_serializer(component_name="Bounty")
class BountySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    question = BountyQuestionSerializer()
    points = serializers.IntegerField()
    status = serializers.ChoiceField(choices=["open", "paid", "refunded"])
    offered_by = BountyOffererSerializer()
    deadline = serializers.DateTimeField(
        help_text="With no accepted answer by then, the top-voted answer receives the points."
    )
    created_at = serializers.DateTimeField()


def _bounty_data(request, row: BountyRow) -> dict:
    bounty = row.bounty
    return {
        "id": bounty.pk,
        "question": {
            "id": bounty.question_id,
            "title": row.title,
            "url": request.build_absolute_uri(row.url) if row.url else "",
        },
        "points": bounty.points,
        "status": bounty.status,
        "offered_by": {"id": bounty.offerer_id, "name": bounty.offerer.public_name},
        "deadline": bounty.deadline,
        "created_at": bounty.created_at,
    }


class BountyListApi(generics.ListAPIView):
    """Open bounties on questions, the soonest to close first (or one
    question's). POST offers a bounty: the points leave your available
    balance now and go to the accepted answer, or, with none accepted by
    the deadline, to the top-voted answer with a score of at least 1; you
    get them back if there is none or the question is removed."""

    permission_classes = [IsAuthenticatedOrReadOnly]
    serializer_class = BountySerializer
    filter_backends: list = []
    parser_classes = [JSONParser]

    @extend_schema_serializer(component_name="BountyFilters")
    class FilterSerializer(StrictInputSerializer):
        question = serializers.IntegerField(
            required=False, min_value=1, max_value=2**63 - 1, help_text="A question's id."
        )

    @extend_schema_serializer(component_name="BountyOffer")
    class InputSerializer(StrictInputSerializer):
        question_id = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
        points = serializers.IntegerField(
            min_value=1,
            max_value=10**9,
            help_text="Within the program's smallest and largest bounty (422 outside them).",
        )

    def get_queryset(self):
        params = self.FilterSerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        return open_bounties(question_id=params.validated_data.get("question"))

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        data = [_bounty_data(request, row) for row in bounty_rows(page)]
        return self.get_paginated_response(BountySerializer(data, many=True).data)

    @extend_schema(
        parameters=[FilterSerializer],
        responses={200: BountySerializer(many=True)},
        examples=[
            OpenApiExample(
                "A page of open bounties",
                value={"count": 1, "next": None, "previous": None, "results": [BOUNTY_EXAMPLE]},
                response_only=True,
            )
        ],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=InputSerializer,
        responses={
            201: BountySerializer,
            **WRITE_ERRORS,
            **NOT_FOUND,
            409: OpenApiResponse(Error, description="The question has an open bounty already."),
        },
        examples=[
            OpenApiExample("An offer", value={"question_id": 5, "points": 100}, request_only=True),
            OpenApiExample(
                "Offered", value=BOUNTY_EXAMPLE, response_only=True, status_codes=["201"]
            ),
        ],
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        bounty = bounty_offer(
            user=request.user,
            question_id=data.validated_data["question_id"],
            points=data.validated_data["points"],
        )
        row = bounty_rows([bounty])[0]
        return Response(
            BountySerializer(_bounty_data(request, row)).data, status=status.HTTP_201_CREATED
        )
