"""Running the outbox: delivered events pruned after OUTBOX_RETENTION_DAYS,
and its lag shown to staff and monitoring."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib import admin
from django.test import RequestFactory
from django.utils import timezone

from core import services
from core.models import OutboxDelivery, OutboxEvent
from core.selectors import outbox_lag
from core.tasks import prune_outbox
from core.tests.factories import OutboxDeliveryFactory, OutboxEventFactory, SuperuserFactory

pytestmark = pytest.mark.django_db

DELIVERED = OutboxDelivery.Status.DELIVERED
PENDING = OutboxDelivery.Status.PENDING
DEAD = OutboxDelivery.Status.DEAD


def _event(*, days_old: float, statuses: list[str]) -> OutboxEvent:
    event = OutboxEventFactory(created_at=timezone.now() - timedelta(days=days_old))
    for n, status in enumerate(statuses):
        OutboxDeliveryFactory(event=event, handler=f"test.handler_{n}", status=status)
    return event


# --- pruning -------------------------------------------------------------------------


def test_old_fully_delivered_events_are_pruned_and_the_rest_kept(settings):
    # given
    settings.OUTBOX_RETENTION_DAYS = 14
    old_delivered = _event(days_old=15, statuses=[DELIVERED, DELIVERED])
    old_unheard = _event(days_old=15, statuses=[])
    old_half = _event(days_old=15, statuses=[DELIVERED, PENDING])
    old_dead = _event(days_old=30, statuses=[DELIVERED, DEAD])
    recent = _event(days_old=13, statuses=[DELIVERED])

    # when
    pruned = prune_outbox.apply().get()

    # then
    assert pruned == 2
    kept = set(OutboxEvent.objects.values_list("pk", flat=True))
    assert kept == {old_half.pk, old_dead.pk, recent.pk}
    assert not OutboxDelivery.objects.filter(event_id=old_delivered.pk).exists()
    assert not OutboxEvent.objects.filter(pk=old_unheard.pk).exists()
    assert OutboxDelivery.objects.filter(event_id=old_half.pk).count() == 2
    assert OutboxDelivery.objects.filter(event_id=old_dead.pk, status=DEAD).exists()


def test_pruning_works_in_batches_until_nothing_is_left():
    # given
    for _ in range(7):
        _event(days_old=20, statuses=[DELIVERED])
    keep = _event(days_old=20, statuses=[PENDING])

    # when
    pruned = services.outbox_prune(batch_size=2)

    # then
    assert pruned == 7
    assert list(OutboxEvent.objects.values_list("pk", flat=True)) == [keep.pk]


def test_pruning_stops_after_its_batch_budget_and_the_next_run_goes_on():
    # given
    for _ in range(5):
        _event(days_old=20, statuses=[DELIVERED])

    # when
    first = services.outbox_prune(batch_size=2, max_batches=1)
    second = services.outbox_prune(batch_size=2, max_batches=10)

    # then
    assert (first, second) == (2, 3)
    assert not OutboxEvent.objects.exists()


def test_retention_days_come_from_the_setting(settings):
    # given
    settings.OUTBOX_RETENTION_DAYS = 3
    four_days = _event(days_old=4, statuses=[DELIVERED])
    two_days = _event(days_old=2, statuses=[DELIVERED])

    # when
    services.outbox_prune()

    # then
    assert list(OutboxEvent.objects.values_list("pk", flat=True)) == [two_days.pk]
    assert not OutboxEvent.objects.filter(pk=four_days.pk).exists()


def test_the_prune_task_is_scheduled():
    # then
    schedule = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "core.tasks.prune_outbox" in schedule
    assert settings.OUTBOX_RETENTION_DAYS >= 1


# --- lag ---------------------------------------------------------------------------------


def _backlog() -> None:
    now = timezone.now()
    oldest = OutboxDeliveryFactory()
    OutboxDelivery.objects.filter(pk=oldest.pk).update(created_at=now - timedelta(minutes=10))
    OutboxDeliveryFactory()
    OutboxDeliveryFactory(status=DEAD)
    OutboxDeliveryFactory(status=DELIVERED)
    delivered_long_ago = OutboxDeliveryFactory(status=DELIVERED)
    OutboxDelivery.objects.filter(pk=delivered_long_ago.pk).update(
        created_at=now - timedelta(days=3)
    )


def test_outbox_lag_is_the_oldest_pending_delivery_and_the_pending_and_dead_counts():
    # given
    _backlog()

    # when
    lag = outbox_lag()

    # then
    assert lag["pending"] == 2
    assert lag["dead"] == 1
    assert 600 <= lag["oldest_pending_seconds"] < 660


def test_outbox_lag_with_nothing_pending():
    # given
    OutboxDeliveryFactory(status=DELIVERED)

    # then
    assert outbox_lag() == {"oldest_pending_seconds": None, "pending": 0, "dead": 0}


def test_healthz_reports_the_lag_and_stays_ok_with_a_backlog(
    client, celery_broker, tmp_path, django_assert_max_num_queries
):
    # given
    celery_broker(f"sqla+sqlite:///{tmp_path / 'broker.sqlite3'}")
    _backlog()

    # when
    with django_assert_max_num_queries(4):  # SELECT 1, then the three lag reads
        response = client.get("/healthz")

    # then
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["outbox"]["pending"] == 2
    assert body["outbox"]["dead"] == 1
    assert body["outbox"]["oldest_pending_seconds"] >= 600


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_the_lag_queries_read_the_partial_indexes(postgres_required):
    # given: enough rows that a sequential scan would be chosen if no index fit
    from django.db import connection

    events = OutboxEventFactory.create_batch(50)
    OutboxDelivery.objects.bulk_create(
        [
            OutboxDelivery(
                event=event,
                handler=f"test.h{n}",
                status=DELIVERED,
                next_attempt_at=timezone.now(),
            )
            for event in events
            for n in range(40)
        ]
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE core_outboxdelivery")
        plans = []
        for queryset in (
            OutboxDelivery.objects.filter(status=PENDING).order_by().values("created_at"),
            OutboxDelivery.objects.filter(status=DEAD).order_by().values("pk"),
        ):
            sql, params = queryset.query.sql_with_params()
            cursor.execute(f"EXPLAIN {sql}", params)
            plans.append("\n".join(row[0] for row in cursor.fetchall()))

    # then
    assert "core_delivery_pending_age_idx" in plans[0], plans[0]
    assert "core_delivery_dead_idx" in plans[1], plans[1]


def test_the_deliveries_admin_shows_the_outbox_lag(rf: RequestFactory):
    # given
    _backlog()
    model_admin = admin.site._registry[OutboxDelivery]
    request = rf.get("/admin/core/outboxdelivery/")
    request.user = SuperuserFactory()

    # when
    response = model_admin.changelist_view(request)
    response.render()

    # then
    html = response.content.decode()
    assert 'id="outbox-lag"' in html
    assert "the oldest pending delivery was published 10" in html
    assert "2 pending, 1 dead." in html
