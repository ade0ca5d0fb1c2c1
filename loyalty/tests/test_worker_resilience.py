"""Awards survive what production does to workers and Redis: a worker
SIGKILLed in the middle of a batch, and Redis (broker, cache, leaderboards)
stopped while orders are paid. A real Celery worker process (the prefork
pool, as `make run` runs it) on a private redis-server, and PostgreSQL with
real commits."""

from __future__ import annotations

import time
from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse

from accounts.tests.factories import UserFactory
from community.events import ReviewPublished
from config.settings.base import redis_cache
from conftest import require_service
from core import cachebackend
from core.events import publish
from core.models import OutboxDelivery
from core.testing.processes import CeleryWorker, RedisServer, database_url, wait_until
from loyalty.models import Award, EntryKind, LedgerEntry, RuleCode
from loyalty.selectors.leaderboards import ALL_TIME, OVERALL, _from_database, leaderboard
from loyalty.selectors.ledger import ledger_mismatches
from loyalty.services.leaderboards import leaderboards_rebuild
from loyalty.services.rules import earning_rules_ensure
from shop.models import Order
from shop.payments.test_card import SUCCESS
from shop.tests.factories import FULL_ADDRESS, ProductFactory, ShippingMethodFactory

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

RELAY_INTERVAL = 1  # seconds
LEASE_SECONDS = 4  # a killed worker's deliveries are handed out again after this
DONE_TIMEOUT = 120
REQUEST_BOUND = 5.0  # seconds: "answers, does not hang"; not a performance figure
PASSWORD = "Kampung-points-1"


@pytest.fixture
def redis_server(tmp_path, postgres_required, settings) -> Iterator[RedisServer]:
    """A private Redis as the project's cache, broker and leaderboard store."""
    server = RedisServer(tmp_path / "redis")
    try:
        require_service("Redis", server.start(), "redis-server could not be started")
        settings.REDIS_URL = server.url
        settings.CACHES = {"default": redis_cache(server.url)}
        cachebackend.reset_breakers()
        yield server
    finally:
        server.stop()
        cachebackend.reset_breakers()


@pytest.fixture
def worker(redis_server, tmp_path, celery_broker, settings) -> Iterator[CeleryWorker]:
    directory = tmp_path / "worker"
    worker = CeleryWorker(
        directory=directory,
        project_dir=settings.BASE_DIR,
        env={
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "DATABASE_URL": database_url(connection.settings_dict),
            "DATABASE_CONN_MAX_AGE": "0",
            "REDIS_URL": redis_server.url,
            "OUTBOX_RELAY_INTERVAL": str(RELAY_INTERVAL),
            "OUTBOX_RETRY_BASE_SECONDS": str(RELAY_INTERVAL),
            "OUTBOX_LEASE_SECONDS": str(LEASE_SECONDS),
            "KAMPUNG_VAR_DIR": str(directory / "var"),
        },
        pool="prefork",
    )
    celery_broker(redis_server.url)
    settings.OUTBOX_RETRY_BASE_SECONDS = RELAY_INTERVAL
    earning_rules_ensure()  # a transactional test before this one flushed the migration's
    try:
        assert worker.start(), f"the Celery worker did not start:\n{worker.log_tail()}"
        yield worker
    finally:
        print(f"--- celery worker log (tail) ---\n{worker.log_tail(8000)}")
        worker.stop()


def _settled(event_ids: list[str]) -> bool:
    return not OutboxDelivery.objects.filter(
        event_id__in=event_ids, status=OutboxDelivery.Status.PENDING
    ).exists()


def _review_awards() -> int:
    return Award.objects.filter(rule=RuleCode.REVIEW).count()


def test_a_worker_killed_mid_batch_then_restarted_makes_every_award_exactly_once(worker):
    # given: 300 reviews published at once (each earns its author points)
    authors = [UserFactory() for _ in range(100)]  # 3 reviews each: under the daily cap
    events = [
        ReviewPublished(
            review_id=n + 1,
            author_id=authors[n % len(authors)].pk,
            product_id=n + 1,
            stars=5,
            verified_buyer=False,
        )
        for n in range(300)
    ]
    with transaction.atomic():
        for event in events:
            publish(event)
    event_ids = [str(event.event_id) for event in events]

    # when: the worker dies (SIGKILL: no shutdown, no ack) while awarding,
    # and a supervisor starts it again
    assert wait_until(lambda: _review_awards() >= 20, timeout=60, interval=0.02), (
        f"no awards within 60 s:\n{worker.log_tail()}"
    )
    worker.kill()
    made_before_the_kill = _review_awards()
    assert worker.start(), f"the Celery worker did not restart:\n{worker.log_tail()}"
    settled = wait_until(lambda: _settled(event_ids), timeout=DONE_TIMEOUT, interval=0.5)

    # then
    print(f"awards made before the kill: {made_before_the_kill} of {len(events)}")
    assert made_before_the_kill < len(events), "the kill came after the batch: no test"
    assert settled, f"deliveries still pending after {DONE_TIMEOUT} s:\n{worker.log_tail()}"
    assert not OutboxDelivery.objects.filter(
        event_id__in=event_ids, status=OutboxDelivery.Status.DEAD
    ).exists()
    assert _review_awards() == len(events)
    subjects = LedgerEntry.objects.filter(rule=RuleCode.REVIEW, kind=EntryKind.EARN).values_list(
        "subject", flat=True
    )
    assert len(subjects) == len(set(subjects)) == len(events)
    assert list(ledger_mismatches()) == []


def _sign_in(client: Client, email: str) -> None:
    response = client.post(reverse("account_login"), {"login": email, "password": PASSWORD})
    assert response.status_code == 302


def test_orders_paid_while_redis_is_down_are_awarded_once_when_it_returns(worker, redis_server):
    # given: members signed in with a cart each, while Redis runs
    product = ProductFactory(variant__price=Decimal("250000"), variant__stock=50)
    variant = product.variants.get()
    shipping = ShippingMethodFactory(price=Decimal("15000"))
    shoppers = []
    for n in range(4):
        member = UserFactory(email=f"shopper{n}@example.com")
        member.set_password(PASSWORD)
        member.save()
        web = Client()
        _sign_in(web, member.email)
        web.post(reverse("shop:cart_add"), {"variant_id": variant.pk, "quantity": 1 + n})
        shoppers.append((member, web))
    pages = [web.get(reverse("shop:checkout")) for _, web in shoppers]

    # when: Redis stops (broker, cache and leaderboards at once) and they pay
    redis_server.stop()
    timings = []
    for (member, web), page in zip(shoppers, pages, strict=True):
        started = time.monotonic()
        placed = web.post(
            reverse("shop:checkout"),
            {
                "idempotency_key": page.context["form"]["idempotency_key"].value(),
                "email": member.email,
                **FULL_ADDRESS,
                "shipping_method": shipping.pk,
                "payment_method": "test_card",
                "card_number": SUCCESS,
                "action": "place_order",
            },
        )
        timings.append((placed.status_code, time.monotonic() - started))
    paid = list(Order.objects.filter(status=Order.Status.PAID).values_list("pk", flat=True))
    # ...and comes back (the worker reconnects; the relay re-sends the events)
    assert redis_server.start(), "redis-server did not restart"
    cachebackend.reset_breakers()
    awarded = wait_until(
        lambda: Award.objects.filter(rule=RuleCode.PURCHASE).count() >= len(shoppers),
        timeout=DONE_TIMEOUT,
        interval=0.5,
    )
    time.sleep(2 * RELAY_INTERVAL + LEASE_SECONDS)  # a duplicate would land by now

    # then: checkout answered, each paid order earned its points once
    print(f"checkouts while Redis was down (status, seconds): {timings}")
    assert [status for status, _ in timings] == [302] * len(shoppers)
    assert all(seconds < REQUEST_BOUND for _, seconds in timings), timings
    assert len(paid) == len(shoppers)
    assert awarded, f"purchase points not awarded after {DONE_TIMEOUT} s:\n{worker.log_tail()}"
    purchases = Award.objects.filter(rule=RuleCode.PURCHASE)
    assert sorted(purchases.values_list("subject", flat=True)) == sorted(
        f"order:{pk}" for pk in paid
    )
    assert list(ledger_mismatches()) == []
    # ...and the leaderboards, rebuilt from the ledger, agree with it
    leaderboards_rebuild()
    board = leaderboard(scope=ALL_TIME, area=OVERALL, with_users=False)
    top, _me = _from_database(scope=ALL_TIME, area=OVERALL, period="all", size=50, user_id=None)
    assert board.source == "redis"
    assert [(p.user_id, p.points) for p in board.top] == [(p.user_id, p.points) for p in top]
    assert {p.user_id for p in top} == {member.pk for member, _ in shoppers}
