"""The shop's order updates and back-in-stock alerts appear in the member's
notification centre too (the shop still sends its own emails)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import translation

from accounts.tests.factories import UserFactory
from core.models import Notification, OutboxEvent, OutgoingEmail
from core.notifications import notification_kinds
from core.notifications.services import notification_text
from shop import events, handlers
from shop.models import Order, StockAlert, Variant
from shop.services.cart import cart_add, cart_for_user
from shop.services.checkout import checkout_place_order
from shop.services.orders import order_cancel, order_mark_paid
from shop.tests.factories import ProductFactory

pytestmark = pytest.mark.django_db

ADDRESS = {"full_name": "Siti", "phone": "0812", "line1": "Jl. Melati 12", "city": "Yogya"}


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def _variant(stock: int = 5) -> Variant:
    product = ProductFactory(name="Batik Tulis", variant__price=Decimal("100000"))
    variant = product.variants.get()
    Variant.objects.filter(pk=variant.pk).update(stock=stock)
    variant.refresh_from_db()
    return variant


def _member_order(member, variant: Variant) -> Order:
    cart = cart_for_user(user=member)
    cart_add(cart=cart, variant_id=variant.pk, quantity=1)
    return checkout_place_order(
        cart=cart,
        user=member,
        email=member.email,
        shipping_address=ADDRESS,
        shipping_method_id=None,
        payment_gateway="bank_transfer",
    )


def test_the_shop_declares_its_kinds():
    kinds = {kind.code: kind for kind in notification_kinds()}
    order_status, back_in_stock = kinds["shop.order_status"], kinds["shop.back_in_stock"]
    assert (order_status.email, order_status.mutable) == (False, False)
    assert str(order_status.label) == "Order updates"
    assert (back_in_stock.email, back_in_stock.mutable) == (False, True)
    assert str(back_in_stock.label) == "Back in stock"


def test_a_members_order_updates_are_listed_once_next_to_the_emails(
    django_capture_on_commit_callbacks,
):
    # given a member's order, placed and paid
    member = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        order = _member_order(member, _variant())
        order_mark_paid(order_id=order.pk, payment_reference="r")

    # then both updates are in their notification centre, linking to the order
    notifications = list(Notification.objects.filter(recipient=member).order_by("pk"))
    assert [n.key for n in notifications] == [
        f"shop.order:{order.pk}:placed",
        f"shop.order:{order.pk}:paid",
    ]
    assert [notification_text(n) for n in notifications] == [
        f"We received your order {order.number}",
        f"Payment received for order {order.number}",
    ]
    assert {n.url for n in notifications} == {
        reverse("shop:order_detail", kwargs={"number": order.number})
    }
    assert notifications[0].data == {"number": order.number, "status": "placed"}
    # the shop's own emails went out, and the centre sent none of its own
    assert len([m for m in mail.outbox if m.to == [member.email]]) == 2
    assert not OutgoingEmail.objects.filter(kind__startswith="notification.").exists()

    # when the paid event is delivered again, nothing new is listed
    handlers.email_order_paid(
        events.OrderPaid(
            order_id=order.pk,
            number=order.number,
            user_id=member.pk,
            total="1",
            currency="IDR",
            product_ids=[],
        )
    )
    assert Notification.objects.filter(recipient=member).count() == 2


def test_an_order_update_reads_in_the_readers_language(django_capture_on_commit_callbacks):
    member = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        order = _member_order(member, _variant())
    notification = Notification.objects.get(recipient=member)
    with translation.override("id"):
        assert notification_text(notification) == (f"Pesanan {order.number} Anda sudah kami terima")


def test_a_guest_order_lists_nothing(django_capture_on_commit_callbacks):
    variant = _variant()
    cart = cart_for_user(user=UserFactory())
    cart_add(cart=cart, variant_id=variant.pk, quantity=1)
    with django_capture_on_commit_callbacks(execute=True):
        checkout_place_order(
            cart=cart,
            user=None,
            email="guest@example.com",
            shipping_address=ADDRESS,
            shipping_method_id=None,
            payment_gateway="bank_transfer",
        )
    assert not Notification.objects.exists()


def test_back_in_stock_is_listed_for_a_members_alert_only(django_capture_on_commit_callbacks):
    # given the last unit sold, a member and a guest waiting for it
    member = UserFactory()
    variant = _variant(stock=1)
    with django_capture_on_commit_callbacks(execute=True):
        order = _member_order(UserFactory(), variant)
        order_mark_paid(order_id=order.pk, payment_reference="r")
    StockAlert.objects.create(variant=variant, email=member.email, user=member)
    StockAlert.objects.create(variant=variant, email="guest@example.com")
    Notification.objects.all().delete()

    # when the unit comes back
    with django_capture_on_commit_callbacks(execute=True):
        order_cancel(order_id=order.pk)

    # then the member's centre lists it, linking to the product
    notification = Notification.objects.get()
    assert notification.recipient_id == member.pk
    assert notification.kind == "shop.back_in_stock"
    assert notification_text(notification) == "Batik Tulis is back in stock"
    assert notification.url == variant.product.get_absolute_url()

    # and a second delivery of the event lists nothing new
    event = OutboxEvent.objects.get(event_type=events.VariantBackInStock.event_type)
    StockAlert.objects.update(notified_at=None)
    handlers.email_back_in_stock(
        events.VariantBackInStock.from_outbox(
            event_id=event.pk, occurred_at=event.created_at, payload=event.payload
        )
    )
    assert Notification.objects.count() == 1
