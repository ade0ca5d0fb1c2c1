"""A form posted without a valid CSRF token (a session that expired, a
checkout left open overnight) gets the site's own explanation, not
Django's bare "CSRF verification failed" page."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from shop.models import Order
from shop.tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def test_a_post_without_a_csrf_token_explains_what_happened_in_the_sites_layout():
    # given a shopper whose cart form lost its token
    variant = ProductFactory().variants.get()
    client = Client(enforce_csrf_checks=True)

    # when
    with translation.override("en"):
        response = client.post(reverse("shop:cart_add"), {"variant_id": variant.pk})

    # then
    assert response.status_code == 403
    assert [t.name for t in response.templates][:2] == ["403_csrf.html", "base.html"]
    body = response.content.decode()
    assert "This form could not be sent" in body
    assert "Your session expired or the form was open too long" in body
    assert "Go back, reload the page and try again." in body
    assert 'class="site-header"' in body
    assert "CSRF verification failed" not in body


def test_a_checkout_posted_with_a_stale_token_places_nothing():
    # given
    client = Client(enforce_csrf_checks=True)
    client.cookies["csrftoken"] = "x" * 32

    # when
    response = client.post(
        reverse("shop:checkout"), {"csrfmiddlewaretoken": "y" * 32, "action": "place_order"}
    )

    # then
    assert response.status_code == 403
    assert "This form could not be sent" in response.content.decode()
    assert not Order.objects.exists()
