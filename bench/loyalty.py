"""Loyalty benchmark: award throughput of ONE worker process, and reading a
top-100 leaderboard plus one member's rank over 1,000,000 ledger entries,
with Redis and from PostgreSQL alone.

    python bench/loyalty.py awards --events 5000      # events -> ledger, one worker
    python bench/loyalty.py leaderboard --entries 1000000
    python bench/loyalty.py lag --seconds 60 --rate 50   # with bench/run.sh running

awards: publishes N ReviewPublished events (one transaction each, as N web
requests would; 1,000 authors, under the review rule's daily cap) while no
worker runs, then starts one real worker (`celery worker -B`, prefork with
one child, as `make run` runs it; a private redis-server, PostgreSQL) and
times the drain: awards made divided by the time from the first award to the
last. Each event runs every loyalty subscriber (review points, first review
of a product, badges, challenges, leaderboards), each delivery with the
outbox's guarantees.

lag: one real worker runs as `make run` runs it (a task enqueued per event
on commit) while RATE events a second are published for SECONDS, each in
its own transaction; prints the p50/p99 of award time minus event time.
Run the storefront benchmark (bench/run.sh) meanwhile for the lag under load.

leaderboard: fills the ledger with N earn entries (over 20,000 members, five
areas, the last 400 days) with one INSERT ... SELECT, rebuilds the boards
into a private redis-server, then times `leaderboard()` for the all-time,
monthly and weekly overall boards and the all-time reviews board, top 100
and one member's rank: median and p95 of 50 reads from Redis, of 10 reads
from PostgreSQL (REDIS_URL unset).

DATABASE_URL defaults to the kampung_bench_loyalty database (created and
migrated if missing; the tables used are emptied first).
"""

from __future__ import annotations

import argparse
import io
import os
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/kampung_bench_loyalty")
os.environ["CELERY_TASK_ALWAYS_EAGER"] = "false"
os.environ["OUTBOX_RETRY_BASE_SECONDS"] = "3600"

from bench.common import ensure_database  # noqa: E402


def _empty_loyalty() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE core_outboxdelivery, core_outboxevent, loyalty_ledgerentry, "
            "loyalty_award, loyalty_pointsaccount, loyalty_firstreview, "
            "loyalty_memberbadge, loyalty_boardscore, loyalty_membertier, "
            "loyalty_challengecompletion, core_notification CASCADE"
        )


def _members(count: int) -> list[int]:
    from django.contrib.auth import get_user_model

    User = get_user_model()
    have = list(
        User.objects.filter(email__startswith="bench-member-")
        .order_by("pk")
        .values_list("pk", flat=True)[:count]
    )
    if len(have) < count:
        User.objects.bulk_create(
            [
                User(
                    email=f"bench-member-{n}@example.com",
                    password="!",  # noqa: S106 - unusable
                )
                for n in range(len(have), count)
            ],
            batch_size=2000,
            ignore_conflicts=True,
        )
        have = list(
            User.objects.filter(email__startswith="bench-member-")
            .order_by("pk")
            .values_list("pk", flat=True)[:count]
        )
    return have


def _start_worker(work: Path, redis_url: str, *, relay_interval: str | None = None):
    """One real worker as `make run` runs it (prefork, one child, beat) on
    the bench database and this Redis; exits the benchmark if it never starts.
    `relay_interval`: OUTBOX_RELAY_INTERVAL in seconds (default: the setting's)."""
    from django.db import connection

    from core.testing.processes import CeleryWorker, database_url

    extra = {"OUTBOX_RELAY_INTERVAL": relay_interval} if relay_interval else {}
    worker = CeleryWorker(
        directory=work / "worker",
        project_dir=ROOT,
        env={
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "DATABASE_URL": database_url(connection.settings_dict),
            "REDIS_URL": redis_url,
            "OUTBOX_RETRY_BASE_SECONDS": "3600",
            "KAMPUNG_VAR_DIR": str(work / "worker" / "var"),
            **extra,
        },
        pool="prefork",
    )
    if not worker.start(timeout=60):
        sys.exit(f"the worker did not start:\n{worker.log_tail()}")
    return worker


def awards(*, events: int, timeout: float) -> None:
    from django.db import connection, transaction
    from django.db.models import Max, Min

    from community.events import ReviewPublished
    from config.celery_app import app as celery_app
    from core import events as bus
    from core.models import OutboxDelivery
    from core.testing.processes import RedisServer, wait_until
    from loyalty.demo import seed_program
    from loyalty.models import Award

    authors = _members(1000)
    _empty_loyalty()
    # The demo's program: rules, tiers, badges (first review, ten reviews...)
    # and this month's review challenge, so each award is followed by them.
    seed_program(io.StringIO())
    work = Path(tempfile.mkdtemp(prefix="loyalty-bench-"))
    redis = RedisServer(work / "redis")
    if not redis.start():
        sys.exit("redis-server could not be started")
    worker = None
    try:
        celery_app.conf.broker_url = redis.url
        celery_app.conf.task_always_eager = False
        started = time.perf_counter()
        for n in range(events):
            with transaction.atomic():
                bus.publish(
                    ReviewPublished(
                        review_id=n + 1,
                        author_id=authors[n % len(authors)],
                        product_id=n + 1,
                        stars=5,
                        verified_buyer=False,
                    )
                )
        published_in = time.perf_counter() - started
        subscribers = len(bus.subscribers_of(ReviewPublished.event_type))
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE core_outboxdelivery, core_outboxevent")
        worker = _start_worker(work, redis.url, relay_interval="1")
        ready = time.perf_counter()
        expected = events * subscribers

        def settled() -> bool:
            return not OutboxDelivery.objects.filter(status=OutboxDelivery.Status.PENDING).exists()

        done = wait_until(settled, timeout=timeout, interval=0.5)
        wall = time.perf_counter() - ready
        made = Award.objects.filter(rule__in=["review", "first_review"])
        span = made.aggregate(first=Min("created_at"), last=Max("created_at"))
        seconds = (span["last"] - span["first"]).total_seconds() if span["first"] else 0.0
        count = made.count()
        dead = OutboxDelivery.objects.filter(status=OutboxDelivery.Status.DEAD).count()
        print(
            f"events={events} subscribers={subscribers} deliveries={expected} "
            f"complete={done} dead={dead}\n"
            f"  published in {published_in:.1f} s ({events / published_in:.0f} events/s)\n"
            f"  awards made: {count} (review + first review) in {seconds:.1f} s first to last "
            f"({wall:.1f} s from worker ready): {count / seconds if seconds else 0:.0f} awards/s, "
            f"{events / seconds if seconds else 0:.0f} events/s"
        )
    finally:
        if worker is not None:
            worker.stop()
        redis.stop()


def lag(*, seconds: float, rate: float) -> None:
    """Event-to-ledger lag as members see it: one real worker runs (as
    `make run`: prefork, beat, a task per event enqueued on commit) while
    this process publishes ReviewPublished events at `rate` per second for
    `seconds`, each in its own transaction as a web request would. Run the
    storefront benchmark (bench/run.sh) at the same time for the lag "while
    the storefront benchmark runs"."""
    from django.db import transaction

    from community.events import ReviewPublished
    from config.celery_app import app as celery_app
    from core import events as bus
    from core.models import OutboxDelivery
    from core.testing.processes import RedisServer, wait_until
    from loyalty.demo import seed_program
    from loyalty.models import Award

    authors = _members(1000)
    _empty_loyalty()
    seed_program(io.StringIO())
    work = Path(tempfile.mkdtemp(prefix="loyalty-lag-"))
    redis = RedisServer(work / "redis")
    if not redis.start():
        sys.exit("redis-server could not be started")
    worker = None
    try:
        celery_app.conf.broker_url = redis.url
        celery_app.conf.task_always_eager = False
        os.environ["OUTBOX_ENQUEUE_ON_PUBLISH"] = "true"
        worker = _start_worker(work, redis.url)
        count = int(seconds * rate)
        started = time.perf_counter()
        for n in range(count):
            due = started + n / rate
            pause = due - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            with transaction.atomic():
                bus.publish(
                    ReviewPublished(
                        review_id=n + 1,
                        author_id=authors[n % len(authors)],
                        product_id=n + 1,
                        stars=5,
                        verified_buyer=False,
                    )
                )
        published_in = time.perf_counter() - started

        def settled() -> bool:
            return not OutboxDelivery.objects.filter(status=OutboxDelivery.Status.PENDING).exists()

        done = wait_until(settled, timeout=300, interval=0.5)
        lags = sorted(
            (award.created_at - award.standing_at).total_seconds()
            for award in Award.objects.filter(rule="review").only("created_at", "standing_at")
        )
        if not lags:
            sys.exit("no award was made")
        p = lambda q: lags[min(len(lags) - 1, int(q * len(lags)))]  # noqa: E731
        print(
            f"events={count} at {count / published_in:.0f}/s for {published_in:.0f} s, "
            f"complete={done}, awards={len(lags)}\n"
            f"  event-to-ledger lag: p50 {p(0.5) * 1000:.0f} ms, p99 {p(0.99) * 1000:.0f} ms, "
            f"max {lags[-1] * 1000:.0f} ms"
        )
    finally:
        if worker is not None:
            worker.stop()
        redis.stop()


def _timed(fn, runs: int) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[max(0, int(len(times) * 0.95) - 1)]


def leaderboard(*, entries: int) -> None:
    from django.conf import settings
    from django.db import connection

    from core.testing.processes import RedisServer
    from loyalty.selectors import leaderboards as boards
    from loyalty.services.leaderboards import leaderboards_rebuild

    members = _members(20000)
    _empty_loyalty()
    low, high = members[0], members[-1]
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO loyalty_ledgerentry
                (user_id, kind, bucket, points, rule, area, subject, note, created_at)
            SELECT %s + (n::bigint * 7919) %% (%s - %s + 1), 'earn', 'available', 1 + n %% 40,
                   (ARRAY['review','answer','forum_reply','purchase','poll_vote'])[1 + n %% 5],
                   (ARRAY['reviews','answers','forum','shop','polls'])[1 + n %% 5],
                   'bench:' || n, '', now() - (n %% 400) * interval '1 day'
                   - (n %% 86400) * interval '1 second'
            FROM generate_series(1, %s) AS n
            """,
            [low, high, low, entries],
        )
        # The boards' kept scores, as the ledger's writes keep them (per
        # period of the entry's local time, overall and per board area).
        zone = settings.TIME_ZONE
        periods = [
            "'all'",
            f"to_char(created_at AT TIME ZONE '{zone}', 'YYYY-MM')",
            f"to_char(created_at AT TIME ZONE '{zone}', 'IYYY-\"W\"IW')",
        ]
        for period in periods:
            for area_sql, where in [
                ("'all'", ""),
                ("area", "AND area IN ('reviews','answers','forum')"),
            ]:
                cursor.execute(
                    f"""
                    INSERT INTO loyalty_boardscore (user_id, area, period, points)
                    SELECT user_id, {area_sql}, {period}, SUM(points)
                    FROM loyalty_ledgerentry WHERE kind IN ('earn', 'reverse') {where}
                    GROUP BY 1, 2, 3
                    """  # noqa: S608 - our own SQL fragments
                )
        cursor.execute("ANALYZE loyalty_ledgerentry, loyalty_boardscore")
    print(f"ledger filled: {entries} entries in {time.perf_counter() - started:.1f} s")
    member = members[len(members) // 2]
    cases = [
        (boards.ALL_TIME, boards.OVERALL),
        (boards.MONTH, boards.OVERALL),
        (boards.WEEK, boards.OVERALL),
        (boards.ALL_TIME, "reviews"),
    ]
    work = Path(tempfile.mkdtemp(prefix="loyalty-bench-"))
    redis = RedisServer(work / "redis")
    if not redis.start():
        sys.exit("redis-server could not be started")
    try:
        settings.REDIS_URL = redis.url
        started = time.perf_counter()
        rebuilt = leaderboards_rebuild()
        print(f"rebuilt {rebuilt} boards in Redis in {time.perf_counter() - started:.1f} s")
        for scope, area in cases:
            board = boards.leaderboard(scope=scope, area=area, user_id=member, size=100)
            assert board.source == "redis", board.source
            median, p95 = _timed(
                lambda scope=scope, area=area: boards.leaderboard(
                    scope=scope, area=area, user_id=member, size=100
                ),
                50,
            )
            print(
                f"  redis     {scope:5} {area:8} top {len(board.top)}, rank "
                f"{board.me.rank if board.me else '-'}: median {median:.1f} ms, p95 {p95:.1f} ms"
            )
        settings.REDIS_URL = ""
        for scope, area in cases:
            board = boards.leaderboard(scope=scope, area=area, user_id=member, size=100)
            assert board.source == "database", board.source
            median, p95 = _timed(
                lambda scope=scope, area=area: boards.leaderboard(
                    scope=scope, area=area, user_id=member, size=100
                ),
                10,
            )
            print(
                f"  postgres  {scope:5} {area:8} top {len(board.top)}, rank "
                f"{board.me.rank if board.me else '-'}: median {median:.1f} ms, p95 {p95:.1f} ms"
            )
    finally:
        redis.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="what", required=True)
    a = sub.add_parser("awards")
    a.add_argument("--events", type=int, default=5000)
    a.add_argument("--timeout", type=float, default=900)
    c = sub.add_parser("lag")
    c.add_argument("--seconds", type=float, default=60)
    c.add_argument("--rate", type=float, default=50)
    b = sub.add_parser("leaderboard")
    b.add_argument("--entries", type=int, default=1_000_000)
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    import django

    django.setup()
    ensure_database()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    if args.what == "awards":
        awards(events=args.events, timeout=args.timeout)
    elif args.what == "lag":
        lag(seconds=args.seconds, rate=args.rate)
    else:
        leaderboard(entries=args.entries)


if __name__ == "__main__":
    main()
