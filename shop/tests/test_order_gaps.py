"""Late payments on cancelled orders, event money formatting and the
shopper's language in order emails."""

from __future__ import annotations

import dataclasses
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.core import mail
from django.urls import reverse
from django.utils import timezone, translation

from accounts.admin_site import KampungAdminSite
from core.exceptions import ApplicationError
from core.models import OutboxEvent
from shop import events
from shop.models import Order, Payment, StockAlert, Variant
from shop.payments.test_card import DELAYED, SUCCESS
from shop.services.cart import cart_add, cart_for_user
from shop.services.checkout import checkout_place_order
from shop.services.orders import (
    order_cancel,
    order_fulfil,
    order_mark_paid,
    order_refund,
    orders_expire_unpaid,
    payment_record_after_cancel,
    payment_start,
    payment_webhook_handle,
)
from shop.tests.factories import (
    CHECKOUT_ADDRESS,
    FULL_ADDRESS,
    ProductFactory,
    ShippingMethodFactory,
    UserFactory,
    card_webhook,
    order_place,
)

pytestmark = pytest.mark.django_db

TWO_PLACES = re.compile(r"^-?\d+\.\d{2}$")


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def variant() -> Variant:
    return ProductFactory(variant__price=Decimal("100000"), variant__stock=5).variants.get()


@pytest.fixture
def staff():
    user = UserFactory(email="staff@example.com", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="change_order"))
    return user


def _expire(order: Order) -> None:
    Order.objects.filter(pk=order.pk).update(reserved_until=timezone.now() - timedelta(seconds=1))
    assert orders_expire_unpaid() == 1


def _payloads(event_class) -> list[dict]:
    return [
        e.payload
        for e in OutboxEvent.objects.filter(event_type=event_class.event_type).order_by(
            "created_at", "pk"
        )
    ]


def _shelf(variant: Variant) -> tuple[int, int]:
    variant.refresh_from_db()
    return variant.stock, variant.reserved


# --- 1. money that arrives for a cancelled order ------------------------------------


def test_a_delayed_card_confirmed_after_the_hold_expired_is_flagged_for_refund(
    variant, staff, django_capture_on_commit_callbacks
):
    # given a delayed card payment whose order expired before the bank confirmed
    order = order_place(variant)
    result = payment_start(order=order, data={"card_number": DELAYED})
    _expire(order)
    shelf_after_cancel = _shelf(variant)
    mail.outbox.clear()

    # when the gateway's "paid" webhook arrives
    body, headers = card_webhook(order, result.reference)
    with django_capture_on_commit_callbacks(execute=True):
        outcome = payment_webhook_handle(gateway_code="test_card", body=body, headers=headers)

    # then the money is recorded as received and due back; the order stays cancelled
    assert outcome == "processed"
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    assert order.refund_due == order.total
    payment = Payment.objects.get(order=order)
    assert (payment.reference, payment.status) == (result.reference, Payment.Status.REFUND_DUE)
    # and the history says so
    last = order.history.order_by("pk").last()
    assert last.to_status == Order.Status.CANCELLED
    assert "refund due" in last.note
    # and no stock was taken, no OrderPaid published
    assert _shelf(variant) == shelf_after_cancel == (5, 0)
    assert _payloads(events.OrderPaid) == []
    [due] = _payloads(events.OrderRefundDue)
    assert due["number"] == order.number
    assert due["amount"] == "200000.00"
    # and staff were emailed with a link to the order in the admin
    [message] = [m for m in mail.outbox if "staff@example.com" in m.to]
    assert message.subject == (f"[{settings.SITE_NAME}] Refund due for order {order.number}")
    assert reverse("admin:shop_order_change", args=[order.pk]) in message.body
    assert "Rp" in message.body


def test_a_replayed_late_payment_is_recorded_once(variant, staff):
    # given a late payment already recorded
    order = order_place(variant)
    result = payment_start(order=order, data={"card_number": DELAYED})
    _expire(order)
    body, headers = card_webhook(order, result.reference)
    payment_webhook_handle(gateway_code="test_card", body=body, headers=headers)
    history = order.history.count()

    # when the same payment is reported again under a new event id
    body, headers = card_webhook(order, result.reference)
    payment_webhook_handle(gateway_code="test_card", body=body, headers=headers)

    # then nothing more is due or recorded
    order.refresh_from_db()
    assert order.refund_due == order.total
    assert order.history.count() == history
    assert len(_payloads(events.OrderRefundDue)) == 1


def test_a_failed_webhook_for_a_cancelled_order_flags_nothing(variant):
    # given
    order = order_place(variant)
    result = payment_start(order=order, data={"card_number": DELAYED})
    _expire(order)

    # when
    body, headers = card_webhook(order, result.reference, status="failed")
    payment_webhook_handle(gateway_code="test_card", body=body, headers=headers)

    # then
    order.refresh_from_db()
    assert order.refund_due == 0
    assert Payment.objects.get(order=order).status == Payment.Status.FAILED
    assert _payloads(events.OrderRefundDue) == []


def test_a_bank_transfer_recorded_after_cancellation_is_due_back_and_takes_no_stock(variant, staff):
    # given an expired bank transfer order (its pending payment has no reference)
    order = order_place(variant, gateway="bank_transfer")
    payment_start(order=order, data={})
    _expire(order)

    # when staff record the transfer that arrived, twice
    for _attempt in range(2):
        payment_record_after_cancel(
            order_id=order.pk,
            gateway="bank_transfer",
            reference=order.number,
            amount=order.total,
            actor=staff,
        )

    # then one payment, due back, and the shelf untouched
    order.refresh_from_db()
    assert order.refund_due == order.total
    [payment] = Payment.objects.filter(order=order)
    assert (payment.reference, payment.status) == (order.number, Payment.Status.REFUND_DUE)
    assert _shelf(variant) == (5, 0)
    assert order.history.filter(actor=staff, note__contains="refund due").count() == 1


def test_only_a_cancelled_order_takes_a_late_payment(variant):
    # given a pending order
    order = order_place(variant, gateway="bank_transfer")

    # when / then
    with pytest.raises(ApplicationError) as refused:
        payment_record_after_cancel(
            order_id=order.pk, gateway="bank_transfer", reference="X", amount=order.total
        )
    assert refused.value.code == "invalid_transition"
    order.refresh_from_db()
    assert order.refund_due == 0
    assert not Payment.objects.filter(order=order).exists()


def test_refunding_a_late_payment_settles_it_and_keeps_the_order_cancelled(variant):
    # given a cancelled order with a late payment due back
    order = order_place(variant, gateway="bank_transfer")
    _expire(order)
    payment_record_after_cancel(
        order_id=order.pk, gateway="bank_transfer", reference="BCA-9", amount=order.total
    )

    # when staff refund it through the refund service (all that is due)
    order_refund(order_id=order.pk)

    # then
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    assert order.refund_due == 0
    assert order.refunded_total == order.total
    assert Payment.objects.get(order=order).status == Payment.Status.REFUNDED
    [refunded] = _payloads(events.OrderRefunded)
    assert refunded["full"] is True
    assert refunded["amount"] == "200000.00"
    # and a second refund is refused
    with pytest.raises(ApplicationError):
        order_refund(order_id=order.pk)


def test_a_refund_above_what_is_due_on_a_cancelled_order_is_refused(variant):
    # given
    order = order_place(variant, gateway="bank_transfer")
    _expire(order)
    payment_record_after_cancel(
        order_id=order.pk, gateway="bank_transfer", reference="BCA-9", amount=order.total
    )

    # when / then
    with pytest.raises(ApplicationError) as refused:
        order_refund(order_id=order.pk, amount=order.total + 1)
    assert refused.value.code == "invalid_amount"
    order.refresh_from_db()
    assert (order.refund_due, order.refunded_total) == (order.total, 0)


def test_cancelling_a_paid_order_flags_its_money_for_refund(variant):
    # given a paid order, partly refunded
    order = order_place(variant, gateway="bank_transfer")
    order_mark_paid(order_id=order.pk, payment_reference="BCA-1")
    order_refund(order_id=order.pk, amount=Decimal("50000"))

    # when staff cancel it
    order_cancel(order_id=order.pk)

    # then what is left is due back and can be refunded
    order.refresh_from_db()
    assert order.refund_due == Decimal("150000")
    [due] = _payloads(events.OrderRefundDue)
    assert due["amount"] == "150000.00"
    order_refund(order_id=order.pk)
    order.refresh_from_db()
    assert (order.refund_due, order.refunded_total) == (0, order.total)


def test_cancelling_an_unpaid_order_flags_no_refund(variant):
    order = order_place(variant, gateway="bank_transfer")
    order_cancel(order_id=order.pk)
    order.refresh_from_db()
    assert order.refund_due == 0
    assert _payloads(events.OrderRefundDue) == []


def test_admin_lists_orders_with_a_refund_due_and_records_a_late_transfer(
    client, variant, staff, monkeypatch
):
    # given a staff member with admin access (the admin's TOTP check is
    # covered in accounts' tests), an expired order and a normal one
    monkeypatch.setattr(
        KampungAdminSite,
        "has_permission",
        lambda self, request: request.user.is_active and request.user.is_staff,
    )
    staff.is_superuser = True
    staff.save()
    client.force_login(staff)
    expired = order_place(variant, gateway="bank_transfer")
    other = order_place(variant, gateway="bank_transfer")
    _expire(expired)
    changelist = reverse("admin:shop_order_changelist")

    # when staff record the transfer that came in for the expired order
    response = client.post(
        changelist,
        {"action": "record_payment_after_cancel", "_selected_action": [expired.pk]},
        follow=True,
    )

    # then it is flagged, and the "refund due" filter shows only it
    assert response.status_code == 200
    assert [str(m) for m in response.context["messages"]] == [
        f"Recorded; refund due: {expired.number}."
    ]
    expired.refresh_from_db()
    assert expired.refund_due == expired.total
    page = client.get(changelist, {"refund_due": "yes"})
    assert [o.pk for o in page.context["cl"].result_list] == [expired.pk]
    assert other.number not in page.content.decode()

    # and the refund action settles it
    client.post(
        changelist,
        {"action": "refund", "_selected_action": [expired.pk], "apply": "1", "amount": ""},
    )
    expired.refresh_from_db()
    assert (expired.status, expired.refund_due) == (Order.Status.CANCELLED, 0)
    assert client.get(changelist, {"refund_due": "yes"}).context["cl"].result_count == 0


def test_a_late_payment_on_an_order_already_due_back_cannot_exceed_its_total(variant):
    # A late payment on an order whose money is already due back (paid, then
    # cancelled) cannot push the due amount past what was charged.
    order = order_place(variant, gateway="bank_transfer")
    order_mark_paid(order_id=order.pk, payment_reference="BCA-1")
    order_cancel(order_id=order.pk)

    payment_record_after_cancel(
        order_id=order.pk, gateway="bank_transfer", reference="BCA-2", amount=order.total
    )

    order.refresh_from_db()
    assert order.refund_due == order.total
    assert Payment.objects.filter(order=order, status=Payment.Status.REFUND_DUE).count() == 1


# --- 2. money in events ---------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        (Decimal("215000"), "215000.00"),
        (Decimal("200000.00"), "200000.00"),
        (Decimal("0"), "0.00"),
        (Decimal("19.995"), "20.00"),
        (12, "12.00"),
        ("7.5", "7.50"),
    ],
)
def test_event_money_always_has_two_places(amount, expected):
    assert events.money(amount) == expected


def test_every_money_field_of_every_order_event_has_two_places(variant):
    # given an order through its whole money life: placed, paid, refunded
    # in part, cancelled with money due
    order = order_place(variant, gateway="bank_transfer")
    order_mark_paid(order_id=order.pk, payment_reference="BCA-1")
    order_refund(order_id=order.pk, amount=Decimal("1000"))
    order_cancel(order_id=order.pk)
    order_refund(order_id=order.pk)

    # then every money field in every event is a two-place decimal string
    money_fields = {"total", "amount", "refunded_total"}
    seen = {}
    for event_class in (
        events.OrderPlaced,
        events.OrderPaid,
        events.OrderRefunded,
        events.OrderRefundDue,
    ):
        names = {f.name for f in dataclasses.fields(event_class)} & money_fields
        assert names, event_class
        for payload in _payloads(event_class):
            for name in names:
                assert TWO_PLACES.match(payload[name]), (event_class.__name__, payload)
                seen.setdefault(event_class.__name__, set()).add(payload[name])
    assert seen == {
        "OrderPlaced": {"200000.00"},
        "OrderPaid": {"200000.00"},
        "OrderRefunded": {"1000.00", "199000.00", "200000.00"},
        "OrderRefundDue": {"199000.00"},
    }


# --- 3. the shopper's language ----------------------------------------------------


def test_an_order_remembers_the_language_of_its_checkout():
    variant = ProductFactory(variant__stock=10).variants.get()
    with translation.override("id"):
        indonesian = order_place(variant, gateway="bank_transfer")
    english = order_place(variant, gateway="bank_transfer")
    unknown = order_place(variant, gateway="bank_transfer", language="xx")

    assert indonesian.language == "id"
    assert english.language == "en"
    assert unknown.language == settings.LANGUAGE_CODE


def test_an_indonesian_checkout_gets_indonesian_emails_with_indonesian_links(
    client, variant, django_capture_on_commit_callbacks
):
    # given a guest shopping on the Indonesian site
    shipping = ShippingMethodFactory(price=Decimal("15000"))
    with translation.override("id"):
        cart_add_url = reverse("shop:cart_add")
        checkout_url = reverse("shop:checkout")
    assert checkout_url.startswith("/id/")
    client.post(cart_add_url, {"variant_id": variant.pk, "quantity": 1})
    page = client.get(checkout_url)
    data = {
        "idempotency_key": page.context["form"]["idempotency_key"].value(),
        "email": "siti@example.com",
        "full_name": "Siti Rahma",
        "phone": "+62 812 3456 7890",
        "line1": "Jl. Melati 12",
        "city": "Yogyakarta",
        "region": "DIY",
        "postal_code": "55281",
        "shipping_method": shipping.pk,
        "payment_method": "test_card",
        "card_number": SUCCESS,
        "action": "place_order",
    }

    # when the order is placed and paid, and later shipped by staff (in English)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(checkout_url, data)
    assert response.status_code == 302
    order = Order.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        order_fulfil(order_id=order.pk, carrier="JNE", tracking_number="JN0042")

    # then the order speaks Indonesian, and so does every mail to the shopper
    assert order.language == "id"
    placed, paid, shipped = [m for m in mail.outbox if m.to == ["siti@example.com"]]
    assert placed.subject.endswith(f"Pesanan {order.number} Anda sudah kami terima")
    assert f"Terima kasih atas pesanan {order.number} Anda." in placed.body
    assert f"/id/shop/orders/{order.number}/" in placed.body
    assert paid.subject.endswith(f"Pembayaran untuk pesanan {order.number} sudah diterima")
    assert shipped.subject.endswith(f"Pesanan {order.number} Anda sedang dalam perjalanan")
    assert "Kurir: JNE, nomor resi: JN0042" in shipped.body
    [(html, _mimetype)] = shipped.alternatives
    # (a guest's link carries the order's signed key)
    assert f"/id/shop/orders/{order.number}/?key=" in html


def test_an_english_checkout_keeps_english_emails_with_unprefixed_links(
    variant, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        order = order_place(variant, gateway="bank_transfer")

    [placed] = mail.outbox
    assert placed.subject.endswith(f"We received your order {order.number}")
    assert f"/shop/orders/{order.number}/" in placed.body
    assert "/id/" not in placed.body


def test_api_checkout_stores_the_requested_language(variant):
    from rest_framework.test import APIClient

    # given a shopper whose API client asks for Indonesian
    user = UserFactory(email="api@example.com")
    api = APIClient()
    api.force_authenticate(user)
    cart_add(cart=cart_for_user(user=user), variant_id=variant.pk, quantity=1)

    # when
    response = api.post(
        reverse("api:shop-checkout"),
        {
            "shipping_address": FULL_ADDRESS,
            "payment_gateway": "bank_transfer",
        },
        format="json",
        HTTP_IDEMPOTENCY_KEY="lang-1",
        HTTP_ACCEPT_LANGUAGE="id",
    )

    # then
    assert response.status_code == 201, response.content
    assert Order.objects.get(number=response.json()["number"]).language == "id"


def test_a_back_in_stock_alert_is_written_in_the_language_it_was_asked_in(
    django_capture_on_commit_callbacks,
):
    # given a variant sold out by a paid order, with alerts asked for in
    # Indonesian and in English
    variant = ProductFactory(variant__stock=2).variants.get()
    order = order_place(variant, gateway="bank_transfer")
    order_mark_paid(order_id=order.pk, payment_reference="BCA-1")
    with translation.override("id"):
        StockAlert.objects.create(variant=variant, email="siti@example.com")
    StockAlert.objects.create(variant=variant, email="ann@example.com")
    assert set(StockAlert.objects.values_list("language", flat=True)) == {"id", "en"}
    mail.outbox.clear()

    # when the order is cancelled and its units come back
    with django_capture_on_commit_callbacks(execute=True):
        order_cancel(order_id=order.pk)

    # then each alert is written in its own language, links included
    mails = {m.to[0]: m for m in mail.outbox}
    assert mails["siti@example.com"].subject.endswith("tersedia kembali")
    assert "Kabar baik:" in mails["siti@example.com"].body
    assert "/id/shop/" in mails["siti@example.com"].body
    assert mails["ann@example.com"].subject.endswith("is back in stock")
    assert "/id/" not in mails["ann@example.com"].body


def test_the_webhook_endpoint_acknowledges_a_late_payment_and_flags_the_order(client, variant):
    # given an expired delayed-card order
    order = order_place(variant)
    result = payment_start(order=order, data={"card_number": DELAYED})
    _expire(order)
    body, headers = card_webhook(order, result.reference)

    # when the gateway posts its confirmation
    response = client.post(
        reverse("shop:payment_webhook", args=["test_card"]),
        body,
        content_type="application/json",
        headers=headers,
    )

    # then it is acknowledged (no retries) and the order is flagged
    assert response.status_code == 200
    assert response.json() == {"status": "processed"}
    order.refresh_from_db()
    assert (order.status, order.refund_due) == (Order.Status.CANCELLED, order.total)


def test_the_shopper_sees_that_a_late_payment_will_be_returned(client, variant):
    # given a shopper's expired order whose transfer arrived late
    user = UserFactory(email="late@example.com")
    cart = cart_for_user(user=user)
    cart_add(cart=cart, variant_id=variant.pk, quantity=1)
    order = checkout_place_order(
        cart=cart,
        user=user,
        email=user.email,
        shipping_address=CHECKOUT_ADDRESS,
        shipping_method_id=None,
        payment_gateway="bank_transfer",
    )
    _expire(order)
    payment_record_after_cancel(
        order_id=order.pk, gateway="bank_transfer", reference=order.number, amount=order.total
    )
    client.force_login(user)

    # when
    page = client.get(reverse("shop:order_detail", args=[order.number]))

    # then
    assert page.status_code == 200
    body = page.content.decode()
    assert "This order was cancelled, but your payment of" in body
    assert "We will return it to you" in body
