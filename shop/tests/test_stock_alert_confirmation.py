"""A back-in-stock alert for an address the requester has not proven waits
for a confirmation link sent to it, and such requests are rate limited; a
member's alert for their own verified address stays one click."""

from __future__ import annotations

import re
import time

import pytest
from allauth.account.models import EmailAddress
from django.core import signing
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from core.models import OutgoingEmail
from shop.events import VariantBackInStock
from shop.handlers import email_back_in_stock
from shop.models import StockAlert
from shop.tests.factories import ProductFactory, UserFactory

pytestmark = pytest.mark.django_db


def _sold_out():
    return ProductFactory(variant__stock=0).variants.get()


def _ask(client, variant, email: str | None = None, **extra):
    data = {"variant_id": variant.pk, "next": "/"}
    if email is not None:
        data["email"] = email
    return client.post(reverse("shop:stock_alert_create"), data, **extra)


def _confirmation_mails(to: str) -> list[OutgoingEmail]:
    return [
        m for m in OutgoingEmail.objects.filter(kind="shop.stock_alert_confirm") if m.to == [to]
    ]


def _confirm_path(email: OutgoingEmail) -> str:
    match = re.search(r"https?://[^/\s]+(/\S*/stock-alerts/confirm/\S+/)", email.body_text)
    assert match, email.body_text
    return match.group(1)


def _back_in_stock(variant) -> None:
    email_back_in_stock(VariantBackInStock(variant_id=variant.pk, product_id=variant.product_id))


def _member(verified: bool):
    user = UserFactory()
    if verified:
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def test_a_guests_alert_waits_for_the_emailed_confirmation():
    # given
    variant = _sold_out()

    # when
    response = _ask(Client(), variant, "stranger@example.com")
    _back_in_stock(variant)

    # then: the address got a confirmation link, and no back-in-stock mail
    alert = StockAlert.objects.get()
    assert response.status_code == 302
    assert alert.confirmed_at is None
    assert alert.notified_at is None
    assert len(_confirmation_mails("stranger@example.com")) == 1


def test_following_the_link_and_confirming_turns_the_alert_on():
    # given
    variant = _sold_out()
    _ask(Client(), variant, "fan@example.com")
    path = _confirm_path(_confirmation_mails("fan@example.com")[0])
    visitor = Client()

    # when
    looked = visitor.get(path)
    still_pending = StockAlert.objects.get().confirmed_at
    confirmed = visitor.post(path)
    _back_in_stock(variant)

    # then: a GET (a mail scanner) changes nothing; the button does
    assert looked.status_code == 200
    assert still_pending is None
    assert confirmed.status_code == 200
    alert = StockAlert.objects.get()
    assert alert.confirmed_at is not None
    assert alert.notified_at is not None


def test_a_members_alert_for_their_verified_address_is_one_click():
    # given
    member = _member(verified=True)
    client = Client()
    client.force_login(member)
    variant = _sold_out()

    # when
    response = _ask(client, variant, follow=True)

    # then
    alert = StockAlert.objects.get()
    assert (alert.email, alert.user) == (member.email, member)
    assert alert.confirmed_at is not None
    assert "We will email you when it is back in stock." in response.content.decode()
    assert not OutgoingEmail.objects.filter(kind="shop.stock_alert_confirm").exists()


@pytest.mark.parametrize("case", ["unverified own address", "someone else's address"])
def test_a_member_aiming_an_alert_elsewhere_needs_the_confirmation_too(case):
    # given
    member = _member(verified=case != "unverified own address")
    client = Client()
    client.force_login(member)
    email = member.email if case == "unverified own address" else "stranger@example.com"

    # when
    _ask(client, _sold_out(), email)

    # then
    assert StockAlert.objects.get().confirmed_at is None
    assert len(_confirmation_mails(email)) == 1


def test_confirmation_mails_to_one_address_are_rate_limited(settings):
    # given
    settings.SHOP_RATE_LIMITS = {**settings.SHOP_RATE_LIMITS, "stock_alert_email": "3/d"}
    variants = [_sold_out() for _ in range(4)]

    # when: four alerts for one stranger, each from another client address
    responses = [
        _ask(Client(REMOTE_ADDR=f"203.0.113.{i}"), variant, "stranger@example.com")
        for i, variant in enumerate(variants)
    ]

    # then
    assert [r.status_code for r in responses] == [302, 302, 302, 429]
    assert len(_confirmation_mails("stranger@example.com")) == 3


def test_alert_requests_from_one_client_address_are_rate_limited(settings):
    # given
    settings.SHOP_RATE_LIMITS = {**settings.SHOP_RATE_LIMITS, "stock_alert_ip": "5/h"}
    variant = _sold_out()
    client = Client(REMOTE_ADDR="203.0.113.9")

    # when: six strangers' addresses from one client
    statuses = [_ask(client, variant, f"victim{i}@example.com").status_code for i in range(6)]

    # then
    assert statuses == [302] * 5 + [429]
    assert OutgoingEmail.objects.filter(kind="shop.stock_alert_confirm").count() == 5


def test_the_limit_fails_open_when_the_cache_is_down(monkeypatch, settings):
    # given
    settings.SHOP_RATE_LIMITS = {**settings.SHOP_RATE_LIMITS, "stock_alert_ip": "1/h"}

    def broken(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(cache, "add", broken)
    monkeypatch.setattr(cache, "incr", broken)

    # when
    statuses = [_ask(Client(), _sold_out(), f"fan{i}@example.com").status_code for i in range(3)]

    # then
    assert statuses == [302, 302, 302]
    assert OutgoingEmail.objects.filter(kind="shop.stock_alert_confirm").count() == 3


def test_an_expired_confirmation_link_leaves_the_alert_off(monkeypatch, settings):
    # given
    _ask(Client(), _sold_out(), "fan@example.com")
    alert = StockAlert.objects.get()
    now = time.time()
    with monkeypatch.context() as patch:
        patch.setattr(signing.time, "time", lambda: now - 8 * 86400)
        token = signing.dumps(alert.pk, salt="shop.stock_alert.confirm", compress=False)

    # when
    response = Client().post(reverse("shop:stock_alert_confirm", args=[token]))

    # then
    assert response.status_code == 410
    alert.refresh_from_db()
    assert alert.confirmed_at is None


def test_a_forged_confirmation_link_is_refused():
    # given
    _ask(Client(), _sold_out(), "fan@example.com")
    alert = StockAlert.objects.get()
    token = signing.dumps(alert.pk, salt="another.salt", compress=False)

    # when
    response = Client().post(reverse("shop:stock_alert_confirm", args=[token]))

    # then
    assert response.status_code == 404
    alert.refresh_from_db()
    assert alert.confirmed_at is None
