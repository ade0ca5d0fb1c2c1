"""Order emails link to a page their reader can open: a guest gets the
order's signed link, on the site's configured public address."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import translation

from shop.models import Order, Variant
from shop.services.orders import order_fulfil, order_mark_paid
from shop.tests.factories import ProductFactory, UserFactory, order_place

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def variant() -> Variant:
    return ProductFactory(variant__price=Decimal("100000"), variant__stock=5).variants.get()


def _links(message) -> list[str]:
    return re.findall(r"https?://\S+", message.body)


def _order_link(message, order: Order) -> str:
    [link] = [url for url in _links(message) if f"/orders/{order.number}/" in url]
    return link


def _open_path(url: str, base_url: str) -> str:
    assert url.startswith(base_url + "/"), url
    return url[len(base_url) :]


def test_every_guest_order_email_links_to_a_page_a_stranger_browser_can_open(
    settings, variant, django_capture_on_commit_callbacks
):
    # given the site's public address
    settings.KAMPUNG_BASE_URL = "https://toko.example.id"

    # when a guest's order is placed, paid and shipped
    with django_capture_on_commit_callbacks(execute=True):
        order = order_place(variant, gateway="bank_transfer")
    with django_capture_on_commit_callbacks(execute=True):
        order_mark_paid(order_id=order.pk, payment_reference="BCA-1")
    with django_capture_on_commit_callbacks(execute=True):
        order_fulfil(order_id=order.pk, carrier="JNE", tracking_number="JN1")

    # then each email's link opens the order in a fresh browser, with no
    # session and no account
    placed, paid, shipped = [m for m in mail.outbox if m.to == ["buyer@example.com"]]
    for message in (placed, paid, shipped):
        link = _order_link(message, order)
        assert "?key=" in link
        [(html, _mimetype)] = message.alternatives
        assert f'href="{link}"' in html
        response = Client().get(_open_path(link, "https://toko.example.id"))
        assert response.status_code == 200, message.subject
        assert order.number in response.content.decode()
    # and the plain page stays closed to strangers
    plain = reverse("shop:order_detail", kwargs={"number": order.number})
    assert Client().get(plain).status_code == 404


def test_a_members_order_email_links_to_the_plain_order_page(
    settings, variant, django_capture_on_commit_callbacks
):
    # given
    user = UserFactory(email="member@example.com")

    # when
    with django_capture_on_commit_callbacks(execute=True):
        order = order_place(variant, gateway="bank_transfer", user=user)

    # then
    [message] = [m for m in mail.outbox if m.to == ["member@example.com"]]
    link = _order_link(message, order)
    assert link == settings.KAMPUNG_BASE_URL + order.get_absolute_url()
    assert "key=" not in link


def test_email_links_use_the_configured_base_url_not_the_site_row(
    settings, variant, django_capture_on_commit_callbacks
):
    # given the Site row says one thing and the configuration another
    from django.contrib.sites.models import Site

    Site.objects.update_or_create(pk=settings.SITE_ID, defaults={"domain": "localhost"})
    settings.KAMPUNG_BASE_URL = "http://127.0.0.1:8000/"

    # when
    with django_capture_on_commit_callbacks(execute=True):
        order = order_place(variant, gateway="bank_transfer")

    # then every link is on the configured address, once-slashed
    [message] = mail.outbox
    assert _order_link(message, order).startswith(
        f"http://127.0.0.1:8000/shop/orders/{order.number}/?key="
    )
    assert "localhost" not in message.body


def test_production_derives_an_https_base_url_from_its_host():
    import subprocess
    import sys

    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.KAMPUNG_BASE_URL)"
    )
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": "x" * 60,
        "DATABASE_URL": "sqlite:///:memory:",
        "PATH": "/usr/bin:/bin",
    }

    def run(**extra) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-c", code], env={**env, **extra}, capture_output=True, text=True
        )

    derived = run(DJANGO_ALLOWED_HOSTS=".example.com,shop.example.com")
    assert derived.stdout.strip() == "https://shop.example.com"
    chosen = run(DJANGO_ALLOWED_HOSTS="shop.example.com", KAMPUNG_BASE_URL="https://x.example")
    assert chosen.stdout.strip() == "https://x.example"
    # with only wildcard hosts there is nothing to derive it from
    missing = run(DJANGO_ALLOWED_HOSTS="*")
    assert missing.returncode != 0
    assert "KAMPUNG_BASE_URL" in missing.stderr
