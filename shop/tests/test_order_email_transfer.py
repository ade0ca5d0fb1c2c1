"""The "order placed" email of a bank-transfer order says how to pay it (the
shop's account, the exact amount, the reference, the deadline), as the
confirmation page does, in the shopper's language; a card order's does not.
Locally, links in mail follow the port the site runs on."""

from __future__ import annotations

import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import formats, timezone, translation

from core.models import OutgoingEmail
from shop.models import Order, Variant
from shop.tests.factories import ProductFactory, order_place

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.django_db

BANK = {
    "bank": "Bank Rakyat Kampung",
    "account_name": "PT Toko Kampung Test",
    "account_number": "987 654 3210",
}


@pytest.fixture(autouse=True)
def _bank(settings):
    settings.SHOP_BANK_ACCOUNT = dict(BANK)


@pytest.fixture
def variant() -> Variant:
    return ProductFactory(variant__price=Decimal("100000"), variant__stock=5).variants.get()


def _placed_email(order: Order) -> OutgoingEmail:
    return OutgoingEmail.objects.get(key=f"order:{order.pk}:placed:{order.email}")


def _place(variant, *, gateway: str, language: str, capture) -> Order:
    with translation.override(language), capture(execute=True):
        order = order_place(variant, gateway=gateway)
    assert order.language == language
    return order


def _as_on_the_site(order: Order) -> tuple[str, str]:
    """The amount and the deadline formatted as the pages format them, in
    the order's language."""
    from shop.templatetags.shop_catalog import money

    with translation.override(order.language):
        amount = money(order.total, order.currency)
        deadline = formats.date_format(timezone.localtime(order.reserved_until), "DATETIME_FORMAT")
    return amount, deadline


@pytest.mark.parametrize(
    ("language", "labels", "amount_text"),
    [
        ("en", ("Account number", "Transfer reference"), "Rp\N{NO-BREAK SPACE}200,000"),
        ("id", ("Nomor rekening", "Berita transfer"), "Rp\N{NO-BREAK SPACE}200.000"),
    ],
)
def test_a_bank_transfer_order_email_says_how_to_pay(
    variant, django_capture_on_commit_callbacks, language, labels, amount_text
):
    # given a guest's bank-transfer order placed on the site in `language`
    order = _place(
        variant,
        gateway="bank_transfer",
        language=language,
        capture=django_capture_on_commit_callbacks,
    )
    assert order.status == Order.Status.PENDING_PAYMENT and order.reserved_until
    amount, deadline = _as_on_the_site(order)
    assert amount == amount_text

    # when its "order placed" email is recorded
    email = _placed_email(order)

    # then both bodies carry the account, the amount, the reference and the
    # deadline, in the shopper's language
    for body in (email.body_text, email.body_html):
        assert BANK["bank"] in body
        assert BANK["account_name"] in body
        assert BANK["account_number"] in body
        assert amount in body
        assert order.number in body
        assert deadline in body
        for label in labels:
            assert label in body
    assert "<strong>" not in email.body_text
    assert f"<strong>{BANK['account_number']}</strong>" in email.body_html
    assert f"<strong>{deadline}</strong>" in email.body_html
    # and still the signed link that opens the order for a guest
    assert f"/orders/{order.number}/?key=" in email.body_text


def test_indonesian_deadline_is_written_the_indonesian_way(
    variant, django_capture_on_commit_callbacks
):
    order = _place(
        variant,
        gateway="bank_transfer",
        language="id",
        capture=django_capture_on_commit_callbacks,
    )
    local = timezone.localtime(order.reserved_until)
    body = _placed_email(order).body_text

    # Indonesian writes the time with a dot, the month in Indonesian
    assert f"{local:%H}.{local:%M}" in body
    with translation.override("en"):
        english = formats.date_format(local, "DATETIME_FORMAT")
    assert english not in body


def test_a_card_order_email_has_no_transfer_instructions(
    variant, django_capture_on_commit_callbacks
):
    # given a card order (waiting for its card payment)
    order = _place(
        variant,
        gateway="test_card",
        language="en",
        capture=django_capture_on_commit_callbacks,
    )

    # when its "order placed" email is recorded
    email = _placed_email(order)

    # then it says nothing about a transfer or the shop's account
    for body in (email.body_text, email.body_html):
        assert "Please transfer the total" not in body
        assert "Account number" not in body
        assert BANK["account_number"] not in body
        assert BANK["bank"] not in body
        assert order.number in body


@pytest.mark.django_db(databases=[])
def test_the_local_base_url_follows_the_port_the_site_runs_on(tmp_path):
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.KAMPUNG_BASE_URL)"
    )
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "KAMPUNG_VAR_DIR": str(tmp_path / "var"),
        "DATABASE_URL": "sqlite:///:memory:",
        "REDIS_URL": "",
        "PATH": "/usr/bin:/bin",
    }

    def base_url(**extra) -> str:
        result = subprocess.run(
            [sys.executable, "-c", code],
            cwd=ROOT,
            env={**env, **extra},
            capture_output=True,
            text=True,
            check=True,
        )
        return result.stdout.strip()

    assert base_url(KAMPUNG_PORT="8123") == "http://127.0.0.1:8123"
    assert base_url() == "http://127.0.0.1:8000"
    # a configured address wins over the port
    assert base_url(KAMPUNG_PORT="8123", KAMPUNG_BASE_URL="https://x.example") == (
        "https://x.example"
    )


def test_make_run_gives_every_process_the_port_it_serves_on(monkeypatch):
    import importlib.util

    # given no KAMPUNG_PORT in the environment (a .env may still name one)
    monkeypatch.delenv("KAMPUNG_PORT", raising=False)
    spec = importlib.util.spec_from_file_location("kampung_dev", ROOT / "scripts" / "dev.py")
    dev = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(dev)

    # then the web server, the worker and beat all get the port it serves on
    env = dev.child_environment({"PATH": "/usr/bin"})
    assert env["KAMPUNG_PORT"] == "8000"
    assert dev.COMMANDS["web"][-1].endswith(":8000")
    # and a port chosen in the environment wins
    monkeypatch.setenv("KAMPUNG_PORT", "8123")
    spec.loader.exec_module(dev)
    assert dev.child_environment(dict(os.environ))["KAMPUNG_PORT"] == "8123"
    assert dev.COMMANDS["web"][-1].endswith(":8123")
