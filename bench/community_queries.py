"""Queries per community page, counted with Django's test client against the
benchmark database (same settings as the gunicorn under load), after
bench/community_seed.py.

    python bench/community_queries.py              # the table
    python bench/community_queries.py --verbose    # and the SQL with timings
    python bench/community_queries.py --paths      # "name path" lines for run_community.sh

Pages: the product page of the most-reviewed product, the biggest forum
thread's first and last page, the community landing page and a root
category listing (24 cards, each showing its rating); for comparison (not
loaded by run_community.sh) the product with the fewest reviews and the
smallest thread. Each for a cookieless
visitor (served from the page cache once stored) and a signed-in member
(always rendered), the warm request counted, as bench/queries.py does.

Ratings on cards: the category listing is also rendered cold (the catalogue's
page-cache generation moved before each request, so no stored page or shared
card grid is reused) with the community's rating provider registered and
with it removed; the two counts are the same when the rating costs no query
per card (it is a subquery in the product query).
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
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from bench.queries import bench_member, measure  # noqa: E402
from community.models import ContentStatus, Review, Thread  # noqa: E402
from community.selectors.forums import POSTS_PER_PAGE  # noqa: E402
from core import hooks  # noqa: E402
from shop.cache import catalog_changed  # noqa: E402
from shop.models import Category, Product  # noqa: E402

COLD_RUNS = 5


def community_paths() -> dict[str, str]:
    top = (
        Review.objects.filter(status=ContentStatus.PUBLISHED)
        .values("product_id")
        .annotate(n=Count("pk"))
        .order_by("-n", "product_id")
        .first()
    )
    product = Product.objects.get(pk=top["product_id"])
    thread = Thread.objects.filter(status=ContentStatus.PUBLISHED).order_by("-last_number").first()
    last_page = -(-(thread.reply_count + 1) // POSTS_PER_PAGE)
    category = Category.objects.filter(depth=1).order_by("position").first()
    return {
        "product_most_reviewed": product.get_absolute_url(),
        "thread_first": thread.get_absolute_url(),
        "thread_last": f"{thread.get_absolute_url()}?page={last_page}",
        "landing": "/community/",
        "category": f"/shop/c/{category.slug}/",
    }


def comparison_paths() -> dict[str, str]:
    """Pages with little content, to show members' counts do not grow with
    it: the product with the fewest reviews and the smallest thread."""
    few = (
        Review.objects.filter(status=ContentStatus.PUBLISHED)
        .values("product_id")
        .annotate(n=Count("pk"))
        .order_by("n", "product_id")
        .first()
    )
    small = (
        Thread.objects.filter(status=ContentStatus.PUBLISHED).order_by("last_number", "pk").first()
    )
    return {
        f"product_{few['n']}_review(s)": Product.objects.get(
            pk=few["product_id"]
        ).get_absolute_url(),
        f"thread_{small.reply_count + 1}_posts": small.get_absolute_url(),
    }


def measure_cold(client: Client, path: str):
    """Queries of a render that reuses nothing stored: the catalogue's
    generation moves first (outside the count)."""
    counts, started = [], time.perf_counter()
    queries = []
    for _ in range(COLD_RUNS):
        catalog_changed(reason="bench: cold render")
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(path)
        queries = list(ctx.captured_queries)
        counts.append(len(queries))
    ms = (time.perf_counter() - started) / COLD_RUNS * 1000
    return response.status_code, counts, queries, ms


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument("--paths", action="store_true", help="print 'name path' lines and exit")
    args = parser.parse_args()
    paths = community_paths()
    if args.paths:
        for name, path in paths.items():
            print(name, path)
        return

    visitor = Client(HTTP_HOST="127.0.0.1")
    member = Client(HTTP_HOST="127.0.0.1")
    member.force_login(bench_member())
    rows = []
    for name, path in {**paths, **comparison_paths()}.items():
        visitor.cookies.clear()
        rows.append((f"{name} (visitor) {path}", *measure(visitor, "get", path)))
        rows.append((f"{name} (member) {path}", *measure(member, "get", path)))

    print(f"{'page':<72} {'status':>6} {'queries':>7} {'sql ms':>7} {'ms/req':>7}")
    for label, status, queries, ms, sql_ms in rows:
        print(f"{label[:72]:<72} {status:>6} {len(queries):>7} {sql_ms:>7.1f} {ms:>7.1f}")
        if args.verbose:
            for q in queries:
                print(f"    [{float(q['time']) * 1000:6.1f} ms] {q['sql'][:300]}")

    print(f"\ncategory {paths['category']}, cold renders (nothing stored reused), queries per run:")
    providers = list(hooks._registry.get(hooks.PRODUCT_RATING_ANNOTATIONS, []))
    for label in ("with ratings", "without the rating provider"):
        if label != "with ratings":
            hooks._registry[hooks.PRODUCT_RATING_ANNOTATIONS] = []
        try:
            for who, client in (("visitor", visitor), ("member", member)):
                client_path = paths["category"]
                if who == "visitor":
                    client.cookies.clear()
                status, counts, queries, ms = measure_cold(client, client_path)
                print(f"  {label:<28} {who:<8} status {status} queries {counts} {ms:6.1f} ms/req")
                if args.verbose:
                    for q in queries:
                        print(f"    [{float(q['time']) * 1000:6.1f} ms] {q['sql'][:300]}")
        finally:
            hooks._registry[hooks.PRODUCT_RATING_ANNOTATIONS] = providers


if __name__ == "__main__":
    main()
