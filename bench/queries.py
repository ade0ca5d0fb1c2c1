"""Queries per page, counted with Django's test client against the benchmark
database (same settings and environment as the gunicorn under load).

    python bench/queries.py /robots.txt / /shop/c/home/ ... [--post-cart VARIANT_ID PRODUCT_PATH]

Each page is measured for two visitors, the warm request counted:
- "visitor": no cookies at all (a first visit, a search engine), which the
  page cache (core/pagecache.py) serves once the page is stored;
- "shopper": an anonymous visitor with a cart in their session, also served
  from the page cache (one session read, their cart badge filled in);
- "member": a signed-in user, whose pages are always rendered afresh.
With --verbose the SQL is printed too.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

TIMED_RUNS = 20


def bench_member():
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(is_active=True, is_staff=False).order_by("pk").first()


def measure(client: Client, method: str, path: str, data=None, **extra):
    call = getattr(client, method)
    call(path, data, **extra) if data is not None else call(path, **extra)  # warm
    with CaptureQueriesContext(connection) as ctx:
        response = call(path, data, **extra) if data is not None else call(path, **extra)
    # Copy now: the next request resets the connection's query log.
    queries = list(ctx.captured_queries)
    started = time.perf_counter()
    for _ in range(TIMED_RUNS):
        call(path, data, **extra) if data is not None else call(path, **extra)
    ms = (time.perf_counter() - started) / TIMED_RUNS * 1000
    sql_ms = sum(float(q["time"]) for q in queries) * 1000
    return response.status_code, queries, ms, sql_ms


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("paths", nargs="*")
    parser.add_argument("--post-cart", nargs=2, metavar=("VARIANT_ID", "PRODUCT_PATH"))
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()

    visitor = Client(HTTP_HOST="127.0.0.1")
    shopper = Client(HTTP_HOST="127.0.0.1")
    if args.post_cart:
        variant_id, product_path = args.post_cart
        shopper.get(product_path)
        shopper.post("/shop/cart/add/", {"variant_id": variant_id, "quantity": 1})
    member = Client(HTTP_HOST="127.0.0.1")
    member.force_login(bench_member())
    rows = []
    for path in args.paths:
        visitor.cookies.clear()
        rows.append((f"GET {path} (visitor)", *measure(visitor, "get", path)))
        if args.post_cart:
            rows.append((f"GET {path} (shopper)", *measure(shopper, "get", path)))
        rows.append((f"GET {path} (member)", *measure(member, "get", path)))
    if args.post_cart:
        csrf_client = Client(HTTP_HOST="127.0.0.1", enforce_csrf_checks=True)
        csrf_client.get(product_path)
        token = csrf_client.cookies["csrftoken"].value
        rows.append(
            (
                "POST /shop/cart/add/",
                *measure(
                    csrf_client,
                    "post",
                    "/shop/cart/add/",
                    {"variant_id": variant_id, "quantity": 1},
                    HTTP_X_CSRFTOKEN=token,
                ),
            )
        )

    print(f"{'page':<60} {'status':>6} {'queries':>7} {'sql ms':>7} {'ms/req':>7}")
    for label, status, queries, ms, sql_ms in rows:
        print(f"{label[:60]:<60} {status:>6} {len(queries):>7} {sql_ms:>7.1f} {ms:>7.1f}")
        if args.verbose:
            for q in queries:
                print(f"    [{float(q['time']) * 1000:6.1f} ms] {q['sql'][:300]}")


if __name__ == "__main__":
    main()
