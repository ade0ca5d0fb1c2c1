"""OpenAPI pieces shared by every app's API: the error bodies that
core.api.exceptions produces, so clients see them in /api/schema/."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers

Error = inline_serializer(
    name="Error",
    fields={
        "detail": serializers.CharField(help_text="A message fit for people."),
        "code": serializers.CharField(help_text="A stable machine-readable code."),
    },
)

ValidationError = inline_serializer(
    name="ValidationError",
    fields={
        "detail": serializers.CharField(),
        "code": serializers.CharField(help_text="The code of the first field error."),
        "errors": serializers.DictField(
            child=serializers.ListField(child=serializers.CharField()),
            help_text="Messages per field; non_field_errors for the request as a whole.",
        ),
    },
)

AUTH_ERRORS = {
    401: OpenApiResponse(Error, description="Not logged in, or the token is invalid."),
    403: OpenApiResponse(Error, description="Logged in, but not allowed."),
}
WRITE_ERRORS = {
    **AUTH_ERRORS,
    400: OpenApiResponse(ValidationError, description="The submitted data is not valid."),
    429: OpenApiResponse(Error, description="Too many writes; see Retry-After."),
}
NOT_FOUND = {404: OpenApiResponse(Error, description="No such object (or not yours).")}
