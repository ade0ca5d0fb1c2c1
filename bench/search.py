"""Search timed in process: the search page and the suggest box, rendered
through the full middleware stack by Django's test client against the bench
database, with the page cache off (every request is a full search and
render). Prints per row: matches, queries of a warm request, p50 / p95 /
max in ms.

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/kampung_bench
    .venv/bin/python bench/search.py            # 200 requests per row
    .venv/bin/python bench/search.py -n 500
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-" + "x" * 50)
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "127.0.0.1")
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

ROWS = [
    ("search", "/shop/search/?q=batik+scarf"),
    ("search, one word", "/shop/search/?q=batik"),
    ("search, typo", "/shop/search/?q=batk+scraf"),
    ("search, typo (id)", "/id/shop/search/?q=kemja+batk"),
    ("search, Indonesian", "/id/shop/search/?q=selendang+batik"),
    ("search, nothing", "/shop/search/?q=submarine"),
    ("search, page 3", "/shop/search/?q=batik+scarf&page=3"),
    ("suggest", "/shop/search/suggest/?q=batik+sc"),
    ("suggest, typo", "/shop/search/suggest/?q=sambl"),
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=200, help="requests per row")
    args = parser.parse_args()
    settings.PAGE_CACHE_SECONDS = 0
    client = Client(SERVER_NAME="127.0.0.1")
    print(f"{'row':<22} {'matches':>7} {'queries':>7} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7}")
    for name, url in ROWS:
        for _ in range(10):  # warm-up
            client.get(url)
        executed: list[str] = []

        def count(execute, sql, *args, executed=executed):
            executed.append(sql)
            return execute(sql, *args)

        with connection.execute_wrapper(count):
            response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        html = response.content.decode()
        found = re.search(r"([\d,.]+) (?:products?|produk) ", html)
        matches = (
            html.count('class="search-suggestion"')
            if "suggest" in url
            else (found.group(1) if found else 0)
        )
        timings = []
        for _ in range(args.n):
            started = time.perf_counter()
            client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
        timings.sort()
        p95 = timings[int(len(timings) * 0.95) - 1]
        print(
            f"{name:<22} {matches:>7} {len(executed):>7} "
            f"{statistics.median(timings):>7.1f} {p95:>7.1f} {timings[-1]:>7.1f}"
        )


if __name__ == "__main__":
    main()
