from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services
from accounts.models import ApiToken, User
from accounts.permissions import has_verified_email
from core.api.schema import AUTH_ERRORS, NOT_FOUND, WRITE_ERRORS
from core.api.serializers import StrictInputSerializer


class MeApi(APIView):
    """The logged-in user's own account."""

    permission_classes = [IsAuthenticated]
    # JSON for the text fields, multipart to upload an avatar.
    parser_classes = [JSONParser, MultiPartParser]

    @extend_schema_serializer(component_name="MeUpdate")
    class InputSerializer(StrictInputSerializer):
        display_name = serializers.CharField(max_length=60, required=False, allow_blank=True)
        bio = serializers.CharField(max_length=500, required=False, allow_blank=True)
        language = serializers.ChoiceField(
            choices=settings.LANGUAGES,
            required=False,
            allow_blank=True,
            help_text="The language of the member's emails; blank: the site's default.",
        )
        remove_avatar = serializers.BooleanField(required=False, default=False)

    class UploadSerializer(StrictInputSerializer):
        # An empty file is refused by the avatar check (422), like any non-image.
        avatar = serializers.FileField(allow_empty_file=True)

    # Multipart carries the avatar and nothing else: a form field is only
    # text, so it could not say whether `1` is a number or a string, and a
    # body that is not a form at all parses to nothing (so the avatar is
    # required). Text fields go as JSON.
    UPLOAD_SCHEMA = {
        "type": "object",
        "properties": {"avatar": {"type": "string", "format": "binary"}},
        "required": ["avatar"],
        "additionalProperties": False,
    }

    @extend_schema_serializer(component_name="Me")
    class OutputSerializer(serializers.ModelSerializer):
        avatar = serializers.SerializerMethodField()
        email_verified = serializers.SerializerMethodField()

        class Meta:
            model = User
            fields = [
                "id",
                "email",
                "display_name",
                "bio",
                "language",
                "avatar",
                "email_verified",
                "date_joined",
            ]

        def get_avatar(self, user: User) -> str | None:
            if not user.avatar:
                return None
            return self.context["request"].build_absolute_uri(user.avatar.url)

        def get_email_verified(self, user: User) -> bool:
            return has_verified_email(user)

    @extend_schema(responses={200: OutputSerializer, **AUTH_ERRORS})
    def get(self, request):
        return Response(self.OutputSerializer(request.user, context={"request": request}).data)

    @extend_schema(
        request={
            "application/json": InputSerializer,
            "multipart/form-data": UPLOAD_SCHEMA,
        },
        responses={200: OutputSerializer, **WRITE_ERRORS},
    )
    def patch(self, request):
        if request.content_type.startswith("multipart/"):
            others = sorted(set(request.data) - {"avatar"})
            if others:
                message = _("Send this field as JSON; multipart is for the avatar.")
                raise serializers.ValidationError({name: [message] for name in others})
            serializer = self.UploadSerializer(data=request.data)
        else:
            if isinstance(request.data, dict) and "avatar" in request.data:
                raise serializers.ValidationError(
                    {"avatar": [_("Upload an avatar as multipart/form-data.")]}
                )
            serializer = self.InputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        # A refused field raises Django's ValidationError, keyed by field;
        # the API exception handler turns it into a 422 with the usual body.
        user = services.profile_update(user=request.user, **serializer.validated_data)
        return Response(self.OutputSerializer(user, context={"request": request}).data)


@extend_schema_serializer(component_name="ApiToken")
class ApiTokenOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = ApiToken
        fields = ["id", "name", "prefix", "created_at", "last_used_at"]


class ApiTokenListApi(APIView):
    permission_classes = [IsAuthenticated]
    parser_classes = [JSONParser]

    @extend_schema_serializer(component_name="ApiTokenCreate")
    class InputSerializer(StrictInputSerializer):
        name = serializers.CharField(max_length=60)

    @extend_schema_serializer(component_name="ApiTokenCreated")
    class CreatedSerializer(ApiTokenOutputSerializer):
        key = serializers.CharField(read_only=True, help_text="Shown once; store it now.")

        class Meta(ApiTokenOutputSerializer.Meta):
            fields = [*ApiTokenOutputSerializer.Meta.fields, "key"]

    @extend_schema(responses={200: ApiTokenOutputSerializer(many=True), **AUTH_ERRORS})
    def get(self, request):
        tokens = ApiToken.objects.filter(user=request.user)
        return Response(ApiTokenOutputSerializer(tokens, many=True).data)

    @extend_schema(request=InputSerializer, responses={201: CreatedSerializer, **WRITE_ERRORS})
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token, key = services.api_token_create(user=request.user, **serializer.validated_data)
        data = ApiTokenOutputSerializer(token).data | {"key": key}
        return Response(data, status=status.HTTP_201_CREATED)


class ApiTokenDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={204: None, **AUTH_ERRORS, **NOT_FOUND, 429: WRITE_ERRORS[429]})
    def delete(self, request, token_id: int):
        services.api_token_revoke(user=request.user, token_id=token_id)
        return Response(status=status.HTTP_204_NO_CONTENT)
