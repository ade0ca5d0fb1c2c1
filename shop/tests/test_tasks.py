from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone, translation

from core.models import OutboxDelivery, OutboxEvent, OutgoingEmail
from core.services import outbox_deliver_event, outbox_delivery_attempt
from shop import events, handlers
from shop.models import Order, StockAlert, Variant
from shop.services import orders_claim
from shop.services.cart import cart_add, cart_for_session
from shop.services.checkout import checkout_place_order
from shop.services.orders import order_cancel, order_fulfil, order_mark_paid
from shop.tasks import expire_unpaid_orders
from shop.tests.factories import ProductFactory

pytestmark = pytest.mark.django_db

ADDRESS = {"full_name": "Siti", "phone": "0812", "line1": "Jl. Melati 12", "city": "Yogya"}


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def _variant(stock: int = 5) -> Variant:
    product = ProductFactory(name="Batik & Tulis", variant__price=Decimal("100000"))
    variant = product.variants.get()
    Variant.objects.filter(pk=variant.pk).update(stock=stock)
    variant.refresh_from_db()
    return variant


def _order(variant: Variant, email: str = "siti@example.com") -> Order:
    cart = cart_for_session(session_key=f"s{Order.objects.count()}")
    cart_add(cart=cart, variant_id=variant.pk, quantity=1)
    return checkout_place_order(
        cart=cart,
        user=None,
        email=email,
        shipping_address=ADDRESS,
        shipping_method_id=None,
        payment_gateway="bank_transfer",
    )


def _html(message) -> str:
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return html


def test_expire_task_cancels_orders_whose_hold_ran_out():
    # given an unpaid order past its hold and a fresh one
    variant = _variant(stock=5)
    expired, fresh = _order(variant), _order(variant)
    Order.objects.filter(pk=expired.pk).update(reserved_until=timezone.now() - timedelta(seconds=1))

    # when the beat task runs (eagerly)
    result = expire_unpaid_orders.delay()

    # then
    assert result.get() == 1
    assert Order.objects.get(pk=expired.pk).status == Order.Status.CANCELLED
    assert Order.objects.get(pk=fresh.pk).status == Order.Status.PENDING_PAYMENT
    variant.refresh_from_db()
    assert variant.reserved == 1


def test_expire_task_is_on_the_beat_schedule():
    from config.celery_app import app

    entries = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "shop.tasks.expire_unpaid_orders" in entries
    assert "shop.tasks.expire_unpaid_orders" in app.tasks


def test_placing_an_order_emails_the_shopper(django_capture_on_commit_callbacks):
    # given
    variant = _variant()

    # when
    with django_capture_on_commit_callbacks(execute=True):
        order = _order(variant)

    # then
    [message] = mail.outbox
    assert message.to == ["siti@example.com"]
    assert message.subject == f"[{settings.SITE_NAME}] We received your order {order.number}"
    assert f"Thank you for your order {order.number}." in message.body
    assert "1 × Batik & Tulis" in message.body  # plain text is not HTML-escaped
    assert f"/orders/{order.number}/" in message.body
    html = _html(message)
    assert "Batik &amp; Tulis" in html
    assert f"/orders/{order.number}/?key=" in html  # a guest's signed link


def test_order_mail_falls_back_to_the_number_without_an_order_page(
    monkeypatch, django_capture_on_commit_callbacks
):
    # given the order page cannot be reversed
    from django.urls import NoReverseMatch

    def no_url(*args, **kwargs):
        raise NoReverseMatch("no order page")

    monkeypatch.setattr(handlers, "reverse", no_url)
    monkeypatch.setattr(orders_claim, "reverse", no_url)  # a guest's signed link
    order = _order(_variant())

    # when (the email is recorded, then sent after commit)
    with django_capture_on_commit_callbacks(execute=True):
        handlers.email_order_paid(
            events.OrderPaid(
                order_id=order.pk,
                number=order.number,
                user_id=None,
                total="1",
                currency="IDR",
                product_ids=[],
            )
        )

    # then
    [message] = mail.outbox
    assert f"Your order number is {order.number}." in message.body


def test_payment_and_shipping_each_email_the_shopper(django_capture_on_commit_callbacks):
    # given a placed order
    order = _order(_variant())

    # when it is paid, then shipped
    with django_capture_on_commit_callbacks(execute=True):
        order_mark_paid(order_id=order.pk, payment_reference="BCA-1")
    with django_capture_on_commit_callbacks(execute=True):
        order_fulfil(order_id=order.pk, carrier="JNE", tracking_number="JN0042")

    # then
    paid, shipped = mail.outbox[-2:]
    assert paid.subject.endswith(f"Payment received for order {order.number}")
    assert "We received your payment" in paid.body
    assert shipped.subject.endswith(f"Your order {order.number} is on its way")
    assert "Carrier: JNE, tracking number: JN0042" in shipped.body
    assert "JN0042" in _html(shipped)
    assert {m.to[0] for m in mail.outbox} == {"siti@example.com"}


def test_a_second_delivery_of_an_order_event_sends_no_second_mail(
    django_capture_on_commit_callbacks,
):
    # given an order whose placement mail went out
    with django_capture_on_commit_callbacks(execute=True):
        _order(_variant())
    assert len(mail.outbox) == 1
    event = OutboxEvent.objects.get(event_type=events.OrderPlaced.event_type)
    delivery = OutboxDelivery.objects.get(event=event, handler__endswith="email_order_placed")
    assert delivery.status == OutboxDelivery.Status.DELIVERED

    # when the event is delivered again (relay, duplicate task)
    outbox_deliver_event(event_id=event.pk)
    outbox_delivery_attempt(delivery_id=delivery.pk)

    # then
    assert len(mail.outbox) == 1


def test_back_in_stock_emails_every_pending_alert_once(django_capture_on_commit_callbacks):
    # given the last unit sold, two people waiting, one already told, one other variant
    variant = _variant(stock=1)
    with django_capture_on_commit_callbacks(execute=True):  # its own mail goes out
        order = _order(variant)
        order_mark_paid(order_id=order.pk, payment_reference="r")
    other = _variant(stock=0)
    StockAlert.objects.create(variant=variant, email="a@example.com")
    StockAlert.objects.create(variant=variant, email="b@example.com")
    StockAlert.objects.create(variant=variant, email="old@example.com", notified_at=timezone.now())
    StockAlert.objects.create(variant=other, email="c@example.com")
    mail.outbox.clear()

    # when the paid order is cancelled and the unit comes back
    with django_capture_on_commit_callbacks(execute=True):
        order_cancel(order_id=order.pk)

    # then the two waiting shoppers get one mail each
    assert sorted(m.to[0] for m in mail.outbox) == ["a@example.com", "b@example.com"]
    message = mail.outbox[0]
    assert "is back in stock" in message.subject
    assert "Good news: Batik & Tulis is back in stock." in message.body
    assert variant.product.get_absolute_url() in _html(message)
    assert not StockAlert.objects.filter(variant=variant, notified_at=None).exists()
    assert StockAlert.objects.get(variant=other).notified_at is None

    # when the same event is handled again
    event = OutboxEvent.objects.get(event_type=events.VariantBackInStock.event_type)
    handlers.email_back_in_stock(
        events.VariantBackInStock.from_outbox(
            event_id=event.pk, occurred_at=event.created_at, payload=event.payload
        )
    )

    # then nobody is mailed twice
    assert len(mail.outbox) == 2
    assert OutgoingEmail.objects.filter(kind="shop.back_in_stock").count() == 2


def test_a_hold_released_on_a_sold_out_variant_alerts_the_waiting_shopper(
    django_capture_on_commit_callbacks,
):
    # given the last unit is held by an unpaid order, and someone waits for it
    variant = _variant(stock=1)
    with django_capture_on_commit_callbacks(execute=True):  # its own mail goes out
        order = _order(variant)
    StockAlert.objects.create(variant=variant, email="waiting@example.com")
    mail.outbox.clear()

    # when the unpaid order is cancelled
    with django_capture_on_commit_callbacks(execute=True):
        order_cancel(order_id=order.pk)

    # then
    assert [m.to for m in mail.outbox] == [["waiting@example.com"]]
