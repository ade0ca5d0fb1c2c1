"""Order mail under mail-server faults, on PostgreSQL with real commits and
real sockets: a server that never answers holds no transaction and no lock,
and an order email reaches the server once however often its event is
delivered or its task runs. Celery runs eagerly, so each send happens in the
test's thread right after the commit that queued it."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone, translation

from core.models import OutboxDelivery, OutgoingEmail
from core.tasks import relay_outbox, send_due_emails, send_email
from core.testing.smtp import HungSmtpServer, SmtpSink
from shop import events, handlers
from shop.models import Order
from shop.services.orders import order_mark_paid
from shop.tests.factories import ProductFactory, order_place

pytestmark = pytest.mark.django_db(transaction=True)

MAIL_TIMEOUT = 1.0  # seconds
DOES_NOT_HANG = 15.0  # generous: one timeout is MAIL_TIMEOUT


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def order(postgres_required, settings) -> Order:
    settings.MAIL_TIMEOUT = MAIL_TIMEOUT
    variant = ProductFactory(variant__price=Decimal("100000"), variant__stock=5).variants.get()
    return order_place(variant, gateway="bank_transfer")  # its mail goes to locmem


def _paid_mail(order: Order) -> OutgoingEmail:
    return OutgoingEmail.objects.get(key=f"order:{order.pk}:paid:{order.email}")


def _paid_deliveries(order: Order):
    return OutboxDelivery.objects.filter(
        event__event_type=events.OrderPaid.event_type, event__payload__order_id=order.pk
    )


def _observe_during_hang(server: HungSmtpServer, order: Order, seen: dict) -> None:
    """From another connection, while the sender waits on the silent server:
    is any transaction open, and can the order and its deliveries be locked?"""
    try:
        if not server.accepted.wait(DOES_NOT_HANG):
            seen["error"] = "the mail server was never called"
            return
        time.sleep(MAIL_TIMEOUT / 4)  # the sender now waits for the greeting
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND pid <> pg_backend_pid() AND state LIKE 'idle in transaction%%'"
            )
            seen["idle_in_transaction"] = cursor.fetchone()[0]
        try:
            with transaction.atomic():
                Order.objects.select_for_update(nowait=True).get(pk=order.pk)
                list(_paid_deliveries(order).select_for_update(nowait=True))
            seen["locked"] = False
        except DatabaseError as exc:
            seen["locked"] = str(exc).strip()
    finally:
        connection.close()


def test_a_mail_server_that_never_answers_holds_no_transaction_and_no_lock(order, settings):
    # given a mail server that accepts the connection and never answers, and
    # a mailer configured without a timeout of its own
    with HungSmtpServer() as server:
        settings.MAILERS = server.mailers(timeout=None)
        seen: dict = {}
        observer = threading.Thread(target=_observe_during_hang, args=(server, order, seen))
        observer.start()

        # when the order is paid (its mail is recorded and sent after commit)
        started = time.monotonic()
        order_mark_paid(order_id=order.pk, payment_reference="BCA-1")
        elapsed = time.monotonic() - started
        observer.join(DOES_NOT_HANG)

    # then the send gave up after the timeout, holding nothing meanwhile
    assert "error" not in seen, seen
    assert elapsed < DOES_NOT_HANG
    assert seen["idle_in_transaction"] == 0
    assert seen["locked"] is False
    # and the event's delivery was done regardless of the mail server
    assert set(_paid_deliveries(order).values_list("status", flat=True)) == {
        OutboxDelivery.Status.DELIVERED
    }
    # and the email is left to retry
    email = _paid_mail(order)
    assert email.status == OutgoingEmail.Status.FAILED
    assert email.attempts == 1
    assert "timed out" in email.last_error
    assert email.next_attempt_at > timezone.now()

    # when the mail server is back and the retry is due
    with SmtpSink() as sink:
        settings.MAILERS = sink.mailers(timeout=MAIL_TIMEOUT)
        OutgoingEmail.objects.filter(pk=email.pk).update(next_attempt_at=timezone.now())
        send_due_emails.delay()

        # then it is sent, once
        assert sink.wait_for(1, timeout=DOES_NOT_HANG)
    [message] = sink.messages
    assert message["To"] == order.email
    assert order.number in message["Subject"]
    assert _paid_mail(order).status == OutgoingEmail.Status.SENT


def test_an_order_email_reaches_the_mail_server_once_however_often_it_is_sent(
    order, settings, monkeypatch
):
    with SmtpSink() as sink:
        settings.MAILERS = sink.mailers(timeout=MAIL_TIMEOUT)

        # given a worker that dies after the handler's work, before its
        # delivery commits (here: the handler fails right after its mail)
        record = handlers._send
        deaths = []

        def send_then_die(**kwargs):
            record(**kwargs)
            if not deaths:
                deaths.append(kwargs["key"])
                raise RuntimeError("worker killed before the delivery committed")

        monkeypatch.setattr(handlers, "_send", send_then_die)

        # when the order is paid, the delivery fails, and is delivered again
        order_mark_paid(order_id=order.pk, payment_reference="BCA-1")
        assert deaths
        _paid_deliveries(order).update(next_attempt_at=timezone.now())
        relay_outbox.delay()
        assert set(_paid_deliveries(order).values_list("status", flat=True)) == {
            OutboxDelivery.Status.DELIVERED
        }
        # and the event is delivered once more (at least once means maybe twice)
        with transaction.atomic():
            handlers.email_order_paid(
                events.OrderPaid.from_outbox(
                    event_id=_paid_deliveries(order).first().event_id,
                    occurred_at=timezone.now(),
                    payload=_paid_deliveries(order).first().event.payload,
                )
            )
        # and the send task runs again, and the beat task finds it due
        email = _paid_mail(order)
        send_email.delay(email.pk)
        send_email.delay(email.pk)
        OutgoingEmail.objects.filter(pk=email.pk).update(
            next_attempt_at=timezone.now() - timedelta(seconds=1)
        )
        send_due_emails.delay()
        sink.wait_for(2, timeout=1.0)

    # then the shopper got one email
    assert [m["To"] for m in sink.messages] == [order.email]
    assert OutgoingEmail.objects.filter(key__startswith=f"order:{order.pk}:paid:").count() == 1
    assert _paid_mail(order).status == OutgoingEmail.Status.SENT
