"""OpenAPI pieces shared by every app's API: the error bodies that
core.api.exceptions produces, so clients see them in /api/schema/, and the
postprocessing hook that makes the schema say every answer the API gives
(checked by shop/tests/api/test_schema_conformance.py with schemathesis)."""

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
            child=serializers.JSONField(),
            required=False,
            help_text=(
                "Per field, a list of messages (or, for a nested object, its own "
                "errors by field); non_field_errors for the request as a whole. "
                "Absent when the body could not be read at all (code parse_error) "
                "or a header is wrong."
            ),
        ),
    },
)

AUTH_ERRORS = {
    401: OpenApiResponse(Error, description="Not logged in, or the token is invalid."),
    403: OpenApiResponse(Error, description="Logged in, but not allowed."),
}
WRITE_ERRORS = {
    **AUTH_ERRORS,
    400: OpenApiResponse(ValidationError, description="The request does not match the schema."),
    422: OpenApiResponse(
        ValidationError,
        description="The request matches the schema, and a business rule refused it.",
    ),
    429: OpenApiResponse(Error, description="Too many writes; see Retry-After."),
}
NOT_FOUND = {404: OpenApiResponse(Error, description="No such object (or not yours).")}

# A string the API trims and refuses when blank needs a character that is not
# whitespace (Python's str.strip() also strips \x1c-\x1f, which Unicode's
# White_Space, used by \s in ECMA and Rust regexes, does not include).
# DRF refuses NUL characters in every string, too.
NOT_BLANK_PATTERN = r"^[^\x00]*[^\s\x1c-\x1f\x00][^\x00]*$"
NO_NUL_PATTERN = r"^[^\x00]*$"

_WRITE_METHODS = {"post", "put", "patch", "delete"}
_COMMON = {
    "400": ("ValidationError", "The request does not match the schema."),
    "401": ("Error", "The credentials sent are not valid (or are needed)."),
    "404": ("Error", "No such object (or not yours), or no such page."),
    "415": ("Error", "The request body is not in a content type this operation reads."),
    "429": ("Error", "Too many writes; see Retry-After."),
}


def _error_response(name: str, description: str) -> dict:
    return {
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}},
        "description": description,
    }


def _not_blank(schema: dict) -> None:
    """Give a free-form string the pattern the API enforces: no NUL, and a
    non-space character when it may not be blank."""
    if schema.get("type") == "string" and not {"enum", "pattern", "format"} & set(schema):
        schema["pattern"] = NOT_BLANK_PATTERN if schema.get("minLength", 0) >= 1 else NO_NUL_PATTERN
    if isinstance(schema.get("additionalProperties"), dict):
        _not_blank(schema["additionalProperties"])


def _walk(schema: dict) -> None:
    _not_blank(schema)
    for value in schema.get("properties", {}).values():
        _walk(value)
    if isinstance(schema.get("items"), dict):
        _walk(schema["items"])


def postprocess(result, generator, request, public):
    """Add the error answers every operation can give, whatever its view
    declares: 401 for a bad token (public reads authenticate too), 404 for a
    path parameter that names nothing or a page past the last, 400 for a
    query string or body the schema refuses, 415 for a body in another
    content type, 429 for throttled writes."""
    schemas = result.get("components", {}).setdefault("schemas", {})
    for name, schema in schemas.items():
        if name.endswith("Request"):
            _walk(schema)
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            parameters = operation.get("parameters", [])
            codes = {"401"}
            if any(p["in"] == "path" for p in parameters):
                codes.add("404")
            if any(p["in"] == "query" for p in parameters):
                codes.add("400")
            if any(p["in"] == "query" and p["name"] == "page" for p in parameters):
                codes.add("404")
            if any(p["in"] == "header" for p in parameters):
                codes.add("400")
            if "requestBody" in operation:
                codes |= {"400", "415"}
            if method in _WRITE_METHODS:
                codes.add("429")
            for parameter in parameters:
                if parameter["in"] in {"query", "header"}:
                    _not_blank(parameter.get("schema", {}))
            responses = operation.setdefault("responses", {})
            for code in sorted(codes - set(responses)):
                responses[code] = _error_response(*_COMMON[code])
            operation["responses"] = dict(sorted(responses.items()))
    return result
