"""The OpenAPI schema is the contract partners build on: schemathesis runs
every check it has (`--checks all`: status codes, content types, response
bodies and headers, schema-violating data refused, schema-valid data
accepted, auth, use after delete...) in all its phases against the real
API, anonymous and with a token, and must find nothing.

Bounded (a fixed seed, few examples per operation, about a minute for both
runs on two cores); run by hand with more examples to dig deeper:

    schemathesis run http://127.0.0.1:8000/api/schema/?format=json \\
        --checks all -n 200 -H "Authorization: Token ..."
"""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings

from accounts.models import ApiToken
from accounts.services import api_token_create
from core.api.throttling import WriteRateThrottle
from shop.models import Address, WishlistItem
from shop.services.cart import cart_add, cart_for_user
from shop.tests.api.conftest import order_create
from shop.tests.factories import (
    CouponFactory,
    ProductFactory,
    ShippingMethodFactory,
    UserFactory,
)

CONFIG = Path(settings.BASE_DIR) / "schemathesis.toml"
# Far above anything the small id sequences of a test database reach, so the
# generated DELETE /me/tokens/{id} cases never revoke the token under test.
TOKEN_ID = 987_654_321


def _catalogue_and_shopper() -> str:
    """A small shop and a shopper with a bit of everything; their token."""
    products = [
        ProductFactory(name=f"Batik {i}", variant__price=Decimal("100000"), variant__stock=500)
        for i in range(3)
    ]
    ShippingMethodFactory(price=Decimal("15000"))
    CouponFactory(code="HEMAT10")
    shopper = UserFactory(email="partner@example.com")
    cart_add(cart=cart_for_user(user=shopper), variant_id=products[0].variants.get().pk)
    WishlistItem.objects.create(user=shopper, product=products[1])
    Address.objects.create(
        user=shopper,
        full_name="Siti",
        phone="0812",
        line1="Jl. Melati 12",
        city="Yogyakarta",
        postal_code="55281",
    )
    for i in range(3):
        order_create(user=shopper, number=f"KP-API-{i}", lines=2)
    token, key = api_token_create(user=shopper, name="schemathesis")
    ApiToken.objects.filter(pk=token.pk).update(id=TOKEN_ID)
    return key


def _schemathesis(base_url: str, *options: str, cwd: Path) -> subprocess.CompletedProcess:
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "--config-file",
        str(CONFIG),
        "--no-color",
        "run",
        f"{base_url}/api/schema/?format=json",
        "--checks",
        "all",
        "--max-examples",
        "8",
        "--seed",
        "20261201",
        "--workers",
        "2",
        "--generation-database",
        "none",
        "--request-timeout",
        "20",
    ]
    command += options
    return subprocess.run(
        command, capture_output=True, text=True, timeout=300, check=False, cwd=cwd
    )


@pytest.fixture
def api_under_test(live_server, monkeypatch):
    # The write throttle is real and documented (429); lifted here so the
    # run reaches the operations' own logic instead of waiting a minute.
    monkeypatch.setattr(WriteRateThrottle, "rate", "100000/min", raising=False)
    return live_server.url


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "token"])
def test_the_api_answers_exactly_what_its_schema_says(api_under_test, signed_in, tmp_path):
    # given: with the token, every operation (the `ignored_auth` check also
    # repeats each one without credentials); anonymous, the reads, public
    # and private, to bound the time
    key = _catalogue_and_shopper()
    if signed_in:
        options = ["--header", f"Authorization: Token {key}"]
    else:
        options = ["--include-method", "GET"]

    # when
    # (in tmp_path: schemathesis keeps a .schemathesis/ folder where it runs)
    result = _schemathesis(api_under_test, *options, cwd=tmp_path)

    # then
    output = result.stdout + result.stderr
    assert "Configuration:" in output, output[-4000:]
    assert result.returncode == 0, output[-12000:]
    assert "unique failure" not in output, output[-12000:]
