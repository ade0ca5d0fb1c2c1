"""Every API error has one shape: `{"detail": "Human readable message.",
"code": "machine_code"}`, plus `"errors": {"field": ["message", ...]}` for
validation errors (documented in core.api.schema).

400: the request does not match the schema (serializer, parse and header
errors). 422: it matches, and a business rule refused it. 409: it conflicts
with the current state (sold out, payment in progress)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler

from core.exceptions import ApplicationError


def _first_code(detail) -> str:
    if isinstance(detail, dict):
        for value in detail.values():
            return _first_code(value)
    if isinstance(detail, list) and detail:
        return _first_code(detail[0])
    return getattr(detail, "code", "invalid")


def _refusal_status(exc: ApplicationError) -> int:
    """A service's refusal without a status of its own is a 422: the request
    matched the schema (else the serializer would have answered 400) and a
    business rule the schema cannot express refused it."""
    explicit = "status_code" in vars(exc) or type(exc).status_code != ApplicationError.status_code
    return exc.status_code if explicit else status.HTTP_422_UNPROCESSABLE_ENTITY


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        # Raised by a service (serializers raise DRF's): a rule refusal.
        errors = as_serializer_error(exc)
        return Response(
            {
                "detail": _("The submitted data is not valid."),
                "code": _first_code(errors),
                "errors": errors,
            },
            status=status.HTTP_422_UNPROCESSABLE_ENTITY,
        )
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, ApplicationError):
        return Response(
            {
                "detail": exc.message,
                "code": exc.code,
                **({"errors": exc.extra} if exc.extra else {}),
            },
            status=_refusal_status(exc),
        )

    response = drf_exception_handler(exc, context)
    if response is None:
        return None

    if isinstance(exc, exceptions.ValidationError):
        errors = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        response.data = {
            "detail": _("The submitted data is not valid."),
            "code": _first_code(exc.detail),
            "errors": errors,
        }
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        response.data = {
            "detail": str(detail),
            "code": getattr(detail, "code", None) or getattr(exc, "default_code", "error"),
        }
    if response.status_code == status.HTTP_429_TOO_MANY_REQUESTS:
        response.data["code"] = "throttled"
    return response
