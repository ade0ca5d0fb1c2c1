"""Outbox throughput: events per second delivered by ONE Celery worker process.

    python bench/outbox.py                      # 5,000 events, both paths
    python bench/outbox.py --events 2000 --path tasks

Publishes N `ProbeBenched` events (two subscribers: one that does nothing,
one idempotent insert shaped like a loyalty ledger entry), one transaction
per event as N web requests would, while no worker runs. Then it starts one
real worker (`celery worker -B --pool=solo`, test settings with the probe
app, PostgreSQL, a private redis-server) and times the drain until every
delivery is delivered:

- `tasks`: the live path, one `deliver_event` task per event (queued by each
  publish's on-commit hook);
- `relay`: OUTBOX_ENQUEUE_ON_PUBLISH=false, nothing queued at publish time:
  the worker's beat relay (every second) sends the due events in batches of
  OUTBOX_BATCH_SIZE per `deliver_events` task. The same path drains a
  backlog after a broker outage.

Rate = events / (last delivered_at - first delivered_at). Worker start-up
is not counted. Uses DATABASE_URL (default the kampung_bench_outbox
database, created and migrated if missing); its outbox tables are emptied
first.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/kampung_bench_outbox")
os.environ["CELERY_TASK_ALWAYS_EAGER"] = "false"
# Nothing is due during publishing: the relay must not race the task path.
os.environ["OUTBOX_RETRY_BASE_SECONDS"] = "3600"

from bench.common import ensure_database  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--path", choices=["tasks", "relay", "both"], default="both")
    parser.add_argument("--batch-size", type=int, default=100, help="OUTBOX_BATCH_SIZE")
    parser.add_argument(
        "--no-sync-commit",
        action="store_true",
        help="the worker runs with OUTBOX_SYNCHRONOUS_COMMIT=false",
    )
    parser.add_argument("--timeout", type=float, default=600)
    args = parser.parse_args()
    # A stopped benchmark still stops its worker and redis-server (finally).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    import django

    django.setup()
    ensure_database()

    from django.core.management import call_command

    call_command("migrate", verbosity=0)

    paths = ["tasks", "relay"] if args.path == "both" else [args.path]
    for path in paths:
        run(
            path=path,
            events=args.events,
            batch_size=args.batch_size,
            sync_commit=not args.no_sync_commit,
            timeout=args.timeout,
        )


def run(*, path: str, events: int, batch_size: int, sync_commit: bool, timeout: float) -> None:
    import redis as redis_client
    from django.conf import settings
    from django.db import connection, transaction
    from django.db.models import Max, Min

    from config.celery_app import app as celery_app
    from core import events as bus
    from core.models import OutboxDelivery, OutboxEvent
    from core.testing.probe.events import ProbeBenched
    from core.testing.probe.models import ProbeRecord
    from core.testing.processes import CeleryWorker, RedisServer, database_url, wait_until

    work = Path(tempfile.mkdtemp(prefix="outbox-bench-"))
    redis = RedisServer(work / "redis")
    if not redis.start():
        sys.exit("redis-server could not be started")
    worker = None
    try:
        celery_app.conf.broker_url = redis.url
        celery_app.conf.task_always_eager = False
        with connection.cursor() as cursor:
            cursor.execute(
                "TRUNCATE core_outboxdelivery, core_outboxevent, probe_proberecord CASCADE"
            )

        # relay: OUTBOX_ENQUEUE_ON_PUBLISH=false, nothing is queued at publish
        # time and the relay finds it all (as after a broker outage, too).
        settings.OUTBOX_ENQUEUE_ON_PUBLISH = path == "tasks"
        started = time.perf_counter()
        for n in range(events):
            with transaction.atomic():
                bus.publish(ProbeBenched(n=n))
        published_in = time.perf_counter() - started
        expected = events * len(bus.subscribers_of(ProbeBenched.event_type))
        with connection.cursor() as cursor:
            # What autovacuum's analyze does within a minute of such a burst.
            cursor.execute("ANALYZE core_outboxdelivery, core_outboxevent")

        worker = CeleryWorker(
            directory=work / "worker",
            project_dir=ROOT,
            env={
                "DJANGO_SETTINGS_MODULE": "config.settings.test",
                "CELERY_TASK_ALWAYS_EAGER": "false",
                "DATABASE_URL": database_url(connection.settings_dict),
                "REDIS_URL": redis.url,
                "OUTBOX_RELAY_INTERVAL": "1",
                "OUTBOX_ENQUEUE_ON_PUBLISH": "true" if path == "tasks" else "false",
                "OUTBOX_RETRY_BASE_SECONDS": "3600",
                "OUTBOX_BATCH_SIZE": str(batch_size),
                "OUTBOX_SYNCHRONOUS_COMMIT": "true" if sync_commit else "false",
                "KAMPUNG_VAR_DIR": str(work / "worker" / "var"),
            },
        )
        if not worker.start(timeout=60):
            sys.exit(f"the worker did not start:\n{worker.log_tail()}")
        ready = time.perf_counter()

        def delivered() -> int:
            return OutboxDelivery.objects.filter(status=OutboxDelivery.Status.DELIVERED).count()

        done = wait_until(lambda: delivered() >= expected, timeout=timeout, interval=0.5)
        wall = time.perf_counter() - ready
        # The tasks left over once everything is delivered find nothing to do.
        queue = redis_client.Redis.from_url(redis.url)
        wait_until(
            lambda: queue.llen("celery") == 0 and not queue.hlen("unacked"),
            timeout=timeout,
            interval=0.2,
        )
        emptied = time.perf_counter() - ready
        span = OutboxDelivery.objects.aggregate(first=Min("delivered_at"), last=Max("delivered_at"))
        seconds = (span["last"] - span["first"]).total_seconds() if span["first"] else 0.0
        count = delivered()
        delivered_events = (
            OutboxEvent.objects.exclude(deliveries__status=OutboxDelivery.Status.PENDING)
            .distinct()
            .count()
        )
        tasks = worker.log().count(" succeeded in ")
        print(
            f"path={path} sync_commit={sync_commit} events={events} "
            f"deliveries={count}/{expected} "
            f"records={ProbeRecord.objects.count()} complete={done}\n"
            f"  published in {published_in:.1f} s ({events / published_in:.0f} events/s, "
            "one transaction each)\n"
            f"  drained in {seconds:.1f} s first-to-last delivery ({wall:.1f} s from worker "
            f"ready): {delivered_events / seconds if seconds else 0:.0f} events/s, "
            f"{count / seconds if seconds else 0:.0f} deliveries/s\n"
            f"  queue empty {emptied:.1f} s after worker ready; {tasks} tasks run"
        )
    finally:
        if worker is not None:
            worker.stop()
        redis.stop()


if __name__ == "__main__":
    main()
