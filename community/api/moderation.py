"""Flagging through the API, for every kind of content."""

from __future__ import annotations

from django.http import Http404
from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from community.kinds import kind_codes, kind_model
from community.models import Flag
from community.services import moderation as services
from core.api.schema import AUTH_ERRORS, NOT_FOUND, WRITE_ERRORS
from core.api.serializers import StrictInputSerializer


class FlagCreateApi(APIView):
    """Flag a review, photo, post, question, answer or poll for the moderators."""

    permission_classes = [IsAuthenticated]

    @extend_schema_serializer(component_name="CommunityFlagCreate")
    class InputSerializer(StrictInputSerializer):
        kind = serializers.CharField(max_length=32)
        id = serializers.IntegerField(min_value=1)
        reason = serializers.ChoiceField(choices=Flag.Reason.choices)
        note = serializers.CharField(max_length=500, required=False, allow_blank=True)

    @extend_schema_serializer(component_name="CommunityFlag")
    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        kind = serializers.CharField()
        content_id = serializers.IntegerField()
        reason = serializers.CharField()
        hidden = serializers.BooleanField(help_text="This flag hid the content.")

    @extend_schema(
        request=InputSerializer,
        responses={201: OutputSerializer, **AUTH_ERRORS, **NOT_FOUND, **WRITE_ERRORS},
        examples=[
            OpenApiExample(
                "Flag a post as spam",
                value={"kind": "post", "id": 42, "reason": "spam", "note": "Link farm"},
                request_only=True,
            )
        ],
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        kind = data.validated_data["kind"]
        model = kind_model(kind) if kind in kind_codes() else None
        content = model.objects.filter(pk=data.validated_data["id"]).first() if model else None
        if content is None or not content.viewable_by(request.user):
            raise Http404(_("No such post."))
        result = services.content_flag(
            content=content,
            flagger=request.user,
            reason=data.validated_data["reason"],
            note=data.validated_data.get("note", ""),
        )
        body = {
            "id": result.flag.pk,
            "kind": kind,
            "content_id": content.pk,
            "reason": result.flag.reason,
            "hidden": result.hidden,
        }
        return Response(self.OutputSerializer(body).data, status=status.HTTP_201_CREATED)


urlpatterns = [
    path("flags/", FlagCreateApi.as_view(), name="community-flags"),
]
