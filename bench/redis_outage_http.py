"""The storefront and checkout over HTTP through a 30-second Redis outage.

    .venv/bin/python bench/redis_outage_http.py            # killed, then hung
    .venv/bin/python bench/redis_outage_http.py hung

gunicorn (production settings, 2 sync workers) on loopback, with a private
redis-server as its cache and broker. Eight shoppers, each with an API token,
loop over home, a category, a product page, the products API, an API cart add
and an API checkout with a fresh Idempotency-Key. After 10 s the redis-server
is killed (a new one starts on its port 30 s later) or SIGSTOPped for 30 s
(then SIGCONT); the loop runs 15 s more. Prints, for the whole run and for
the outage, the requests, the 5xx answers or connection errors, the slowest
request and the status codes. Uses its own database (kampung_bench_outage_http,
created, migrated and seeded if missing). Not part of the suite.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = ROOT / ".venv" / "bin" / "python"
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
DATABASE_URL = os.environ.get(
    "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/kampung_bench_outage_http"
)
SHOPPERS = 8
BEFORE, OUTAGE, AFTER = 10, 30, 15

SEED = """
import json
from decimal import Decimal
from django.contrib.auth import get_user_model
from accounts.services import api_token_create
from shop.models import Product, ShippingMethod
from shop.tests.factories import ProductFactory, ShippingMethodFactory

if not Product.objects.exists():
    ShippingMethodFactory(price=Decimal("15000"))
    for _ in range(4):
        ProductFactory(variant__stock=1_000_000, variant__price=Decimal("50000"))
User = get_user_model()
tokens = []
for n in range(%(shoppers)d):
    user, _ = User.objects.get_or_create(email=f"outage{n}@example.com")
    tokens.append(api_token_create(user=user, name="outage bench")[1])
products = list(Product.objects.order_by("pk")[:4])
print(json.dumps({
    "tokens": tokens,
    "variants": [p.variants.first().pk for p in products],
    "slugs": [p.slug for p in products],
    "category": products[0].category.slug,
    "shipping_method_id": ShippingMethod.objects.first().pk,
}))
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare(env: dict) -> dict:
    import psycopg

    name = DATABASE_URL.rsplit("/", 1)[1]
    with psycopg.connect(DATABASE_URL.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            conn.execute(f'CREATE DATABASE "{name}"')
    local = {**env, "DJANGO_SETTINGS_MODULE": "config.settings.local"}
    subprocess.run(
        [PY, "manage.py", "migrate", "--no-input", "-v0"], cwd=ROOT, env=local, check=True
    )
    subprocess.run(
        [PY, "manage.py", "collectstatic", "--no-input", "-v0"], cwd=ROOT, env=env, check=True
    )
    out = subprocess.run(
        [PY, "manage.py", "shell", "-c", SEED % {"shoppers": SHOPPERS}],
        cwd=ROOT,
        env=local,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def run(mode: str) -> None:
    redis_port, web_port = free_port(), free_port()
    work = Path(tempfile.mkdtemp(prefix="kampung-outage-"))
    env = {
        **os.environ,
        "DATABASE_URL": DATABASE_URL,
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "KAMPUNG_VAR_DIR": str(work / "var"),
        "LOG_LEVEL": "WARNING",
    }

    def redis_start() -> subprocess.Popen:
        return subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(redis_port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
        )

    redis = redis_start()
    data = prepare(env)
    web = subprocess.Popen(
        [
            GUNICORN,
            "config.wsgi",
            "-b",
            f"127.0.0.1:{web_port}",
            "-w",
            "2",
            "--no-control-socket",
            "--timeout",
            "30",
        ],
        cwd=ROOT,
        env=env,
        stdout=(work / "gunicorn.log").open("w"),
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{web_port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(base + "/healthz", timeout=2)  # noqa: S310 - loopback
            break
        except (OSError, urllib.error.URLError):
            time.sleep(0.2)

    results: list[tuple[float, str, object, float]] = []
    lock = threading.Lock()
    stop = time.monotonic() + BEFORE + OUTAGE + AFTER

    def request(path: str, method: str = "GET", body=None, headers=None) -> None:
        req = urllib.request.Request(  # noqa: S310 - loopback http
            base + path,
            method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Content-Type": "application/json", **(headers or {})},
        )
        started = time.monotonic()
        try:
            with urllib.request.urlopen(req, timeout=20) as response:  # noqa: S310
                response.read()
                code: object = response.status
        except urllib.error.HTTPError as exc:
            code = exc.code
        except OSError as exc:
            code = f"error {type(exc).__name__}"
        with lock:
            results.append((started, path, code, time.monotonic() - started))

    def shopper(n: int) -> None:
        auth = {"Authorization": "Token " + data["tokens"][n]}
        while time.monotonic() < stop:
            request("/")
            request(f"/shop/c/{data['category']}/")
            request(f"/shop/p/{data['slugs'][n % 4]}/")
            request("/api/v1/shop/products/")
            request(
                "/api/v1/shop/cart/lines/",
                "POST",
                {"variant_id": data["variants"][n % 4], "quantity": 1},
                auth,
            )
            request(
                "/api/v1/shop/checkout/",
                "POST",
                {
                    "shipping_address": {
                        "full_name": "Siti",
                        "phone": "0812",
                        "line1": "Jl. Melati 12",
                        "city": "Yogyakarta",
                        "postal_code": "55281",
                    },
                    "shipping_method_id": data["shipping_method_id"],
                    "payment_gateway": "bank_transfer",
                },
                {**auth, "Idempotency-Key": str(uuid.uuid4())},
            )
            time.sleep(0.5)  # about the API's write throttle per shopper

    threads = [threading.Thread(target=shopper, args=(n,)) for n in range(SHOPPERS)]
    for thread in threads:
        thread.start()
    time.sleep(BEFORE)
    outage_from = time.monotonic()
    if mode == "killed":
        redis.kill()
        redis.wait()
    else:
        redis.send_signal(signal.SIGSTOP)
    time.sleep(OUTAGE)
    outage_to = time.monotonic()
    if mode == "killed":
        redis = redis_start()
    else:
        redis.send_signal(signal.SIGCONT)
    for thread in threads:
        thread.join()
    web.terminate()
    web.wait()
    redis.kill()

    def report(label: str, rows) -> None:
        bad = [r for r in rows if not isinstance(r[2], int) or r[2] >= 500]
        codes = Counter(r[2] for r in rows)
        slowest = max((r[3] for r in rows), default=0.0)
        print(
            f"{mode:6} {label:14} {len(rows):5} requests, {len(bad)} 5xx or errors, "
            f"slowest {slowest:.2f} s, {dict(sorted(codes.items(), key=str))}"
        )
        for row in bad[:5]:
            print("      ", row)
        if rows:
            slow = max(rows, key=lambda r: r[3])
            print(f"       slowest: {slow[1]} ({slow[2]})")

    report("whole run", results)
    report("during outage", [r for r in results if outage_from <= r[0] <= outage_to])
    print(f"       gunicorn log: {work / 'gunicorn.log'}")


if __name__ == "__main__":
    for mode in sys.argv[1:] or ["killed", "hung"]:
        run(mode)
