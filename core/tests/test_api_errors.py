from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.test import Client
from rest_framework import exceptions, serializers
from rest_framework.permissions import AllowAny
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from core.exceptions import ApplicationError


def respond_to(exc: Exception):
    """Run `exc` through a DRF view, so the project's exception handler shapes it."""

    class Raising(APIView):
        permission_classes = [AllowAny]
        throttle_classes = []

        def get(self, request):
            raise exc

    return Raising.as_view()(APIRequestFactory().get("/api/v1/raising/"))


class PointSerializer(serializers.Serializer):
    x = serializers.IntegerField(max_value=10)
    label = serializers.CharField(max_length=3)


def test_serializer_errors_have_detail_code_and_errors_per_field():
    # given
    serializer = PointSerializer(data={"x": 99, "label": "long"})
    serializer.is_valid()

    # when
    response = respond_to(exceptions.ValidationError(serializer.errors))

    # then
    assert response.status_code == 400
    assert response.data["detail"] == "The submitted data is not valid."
    assert response.data["code"] == "max_value"
    assert set(response.data["errors"]) == {"x", "label"}


def test_a_bare_validation_error_is_reported_as_non_field_errors():
    # when
    response = respond_to(exceptions.ValidationError("Nope."))

    # then
    assert response.status_code == 400
    assert response.data["errors"] == {"non_field_errors": ["Nope."]}
    assert response.data["code"] == "invalid"


def test_nested_list_errors_still_give_the_first_code():
    # given
    serializer = PointSerializer(
        data=[{"x": 1, "label": "ok"}, {"x": "a", "label": "ok"}], many=True
    )
    serializer.is_valid()

    # when
    response = respond_to(exceptions.ValidationError(serializer.errors))

    # then
    assert response.status_code == 400
    assert response.data["code"] == "invalid"
    assert response.data["errors"][1]["x"]


def test_djangos_validation_error_from_a_service_is_a_422_with_its_fields_and_code():
    # when
    response = respond_to(
        DjangoValidationError(
            {"avatar": [DjangoValidationError("Bad image.", code="image_invalid")]}
        )
    )

    # then
    assert response.status_code == 422
    assert response.data["code"] == "image_invalid"
    assert response.data["errors"] == {"avatar": ["Bad image."]}


def test_djangos_plain_validation_error_is_a_422_non_field_error():
    # when
    response = respond_to(DjangoValidationError("Too late.", code="too_late"))

    # then
    assert response.status_code == 422
    assert response.data["code"] == "too_late"
    assert response.data["errors"] == {"non_field_errors": ["Too late."]}


def test_application_error_uses_its_message_code_and_status():
    # when
    response = respond_to(ApplicationError("Out of stock.", code="out_of_stock", status_code=409))

    # then
    assert response.status_code == 409
    assert response.data == {"detail": "Out of stock.", "code": "out_of_stock"}


def test_application_error_without_a_status_is_a_422_business_refusal():
    # when: the request matched the schema, a rule refused it
    response = respond_to(ApplicationError("This coupon has expired.", code="coupon_expired"))

    # then
    assert response.status_code == 422
    assert response.data == {"detail": "This coupon has expired.", "code": "coupon_expired"}


def test_application_error_with_an_explicit_400_stays_a_400():
    # when
    response = respond_to(ApplicationError("Bad header.", code="bad_header", status_code=400))

    # then
    assert response.status_code == 400


def test_application_error_extra_becomes_errors():
    # when
    response = respond_to(
        ApplicationError("Check the cart.", code="cart_invalid", extra={"qty": ["Too many."]})
    )

    # then
    assert response.status_code == 422
    assert response.data == {
        "detail": "Check the cart.",
        "code": "cart_invalid",
        "errors": {"qty": ["Too many."]},
    }


@pytest.mark.parametrize(
    ("exc", "status", "code"),
    [
        (Http404("secret internal detail"), 404, "not_found"),
        (DjangoPermissionDenied("secret internal detail"), 403, "permission_denied"),
        (exceptions.NotAuthenticated(), 401, "not_authenticated"),
        (exceptions.AuthenticationFailed(), 401, "authentication_failed"),
        (exceptions.PermissionDenied(), 403, "permission_denied"),
        (exceptions.NotFound(), 404, "not_found"),
        (exceptions.MethodNotAllowed("POST"), 405, "method_not_allowed"),
        (exceptions.ParseError(), 400, "parse_error"),
        (exceptions.UnsupportedMediaType("text/csv"), 415, "unsupported_media_type"),
        (exceptions.NotAcceptable(), 406, "not_acceptable"),
    ],
)
def test_every_error_has_exactly_detail_and_code(exc, status, code):
    # when
    response = respond_to(exc)

    # then
    assert response.status_code == status
    assert set(response.data) == {"detail", "code"}
    assert response.data["code"] == code
    assert isinstance(response.data["detail"], str)
    assert "secret internal detail" not in response.data["detail"]


def test_custom_code_on_permission_denied_is_kept():
    # when
    response = respond_to(exceptions.PermissionDenied("Verify first.", code="email_not_verified"))

    # then
    assert response.status_code == 403
    assert response.data == {"detail": "Verify first.", "code": "email_not_verified"}


def test_throttled_is_429_with_code_throttled_and_retry_after():
    # when
    response = respond_to(exceptions.Throttled(wait=30))

    # then
    assert response.status_code == 429
    assert response.data["code"] == "throttled"
    assert response["Retry-After"] == "30"


def test_an_api_exception_with_a_dict_detail_still_has_a_string_detail():
    # when
    response = respond_to(exceptions.APIException({"reason": "upstream down"}))

    # then
    assert response.status_code == 500
    assert set(response.data) == {"detail", "code"}
    assert isinstance(response.data["detail"], str)


def test_unexpected_exceptions_are_not_swallowed():
    # when / then: Django's 500 handling (and error reporting) takes over
    with pytest.raises(ZeroDivisionError):
        respond_to(ZeroDivisionError())


@pytest.mark.django_db
@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "signed-in"])
@pytest.mark.parametrize("method", ["get", "post", "put", "patch", "delete"])
@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/no-such-thing/",
        "/api/v1/shop/cart/lines/not-a-number/",
        "/api/v1/x",
        "/api/v1/shop/cart/lines/%0A1/",
    ],
)
def test_unknown_api_url_answers_json_404_to_every_method(method, signed_in, url):
    # given: a browser-like client that enforces CSRF, as the real site does
    client = Client(enforce_csrf_checks=True)
    if signed_in:
        client.force_login(get_user_model().objects.create_user(email="api404@example.com"))

    # when
    if method == "get":
        response = client.get(url)
    else:
        response = getattr(client, method)(url, data="{}", content_type="application/json")

    # then: not the CSRF middleware's HTML 403 page
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found.", "code": "not_found"}
