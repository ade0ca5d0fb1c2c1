"""Emails the shop sends when its own events happen.

Each handler runs in the transaction that marks its outbox delivery done and
records its email there (core.mailer.email_record), rendered in the reader's
language; core.tasks.send_email sends it after commit, outside any
transaction. Each email is keyed by what it is about ("order:<id>:paid:
<recipient>"), so a second delivery of the event records and sends nothing; a
back-in-stock alert is recorded only while its `notified_at` is empty.

A shopper's email is written in the language they used on the site (the
order's or the alert's `language`), links included: /id/shop/... for
Indonesian, unprefixed for the default language, on settings.KAMPUNG_BASE_URL.
A guest's order mail links to the order's signed page, the only one a guest
can open. Staff mail is written in the site's default language."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.events import subscribe
from core.mail import absolute_url
from core.mailer import email_record
from core.notifications import notify
from shop.events import (
    OrderFulfilled,
    OrderPaid,
    OrderPlaced,
    OrderRefundDue,
    VariantBackInStock,
)
from shop.models import Order, StockAlert
from shop.payments.bank_transfer import transfer_instructions
from shop.services.orders_claim import order_access_path


def _order_url(order: Order) -> str:
    """The order page for its owner; for a guest, who has no account to sign
    in to, the signed link that opens this one order."""
    try:
        if order.user_id is None:
            return absolute_url(order_access_path(order=order))
        return absolute_url(reverse("shop:order_detail", kwargs={"number": order.number}))
    except NoReverseMatch:
        return ""


def _site_path(view_name: str, **kwargs) -> str:
    """A page's path in the default language, as the notification centre
    stores it (it shows it in the reader's language)."""
    with translation.override(settings.LANGUAGE_CODE):
        try:
            return reverse(view_name, kwargs=kwargs)
        except NoReverseMatch:
            return ""


def _send(*, key: str, template: str, subject: str, to: str | list[str], context: dict) -> None:
    """Record the email in the current transaction (in the active language);
    it is sent after commit."""
    context = {"site_name": settings.SITE_NAME, **context}
    email_record(
        key=key,
        kind=f"shop.{template}",
        to=to,
        subject=f"[{settings.SITE_NAME}] {subject}",
        body_text=render_to_string(f"shop/email/{template}.txt", context),
        body_html=render_to_string(f"shop/email/{template}.html", context),
    )


def _order_mail(order_id: int, *, kind: str, template: str, subject) -> None:
    """`subject` is lazy: it is translated in the order's language. One email
    per order, kind and address, however often the event is delivered."""
    order = Order.objects.filter(pk=order_id).prefetch_related("lines").first()
    if order is None:
        return
    if order.user_id is not None:
        # Also in the member's notification centre (listed only: this email
        # is the shop's own).
        notify(
            user_id=order.user_id,
            kind="shop.order_status",
            key=f"shop.order:{order.pk}:{kind}",
            data={"number": order.number, "status": kind},
            url=_site_path("shop:order_detail", number=order.number),
        )
    if not order.email:
        return
    with translation.override(order.language or settings.LANGUAGE_CODE):
        _send(
            key=f"order:{order.pk}:{kind}:{order.email}",
            template=template,
            subject=str(subject) % {"number": order.number},
            to=order.email,
            context={
                "order": order,
                "lines": list(order.lines.all()),
                "order_url": _order_url(order),
                # The same bank, amount, reference and deadline as the
                # confirmation page; empty unless it waits for a transfer.
                "instructions": transfer_instructions(order),
            },
        )


@subscribe(OrderPlaced, name="shop.email_order_placed")
def email_order_placed(event: OrderPlaced) -> None:
    _order_mail(
        event.order_id,
        kind="placed",
        template="order_placed",
        subject=gettext_lazy("We received your order %(number)s"),
    )


@subscribe(OrderPaid, name="shop.email_order_paid")
def email_order_paid(event: OrderPaid) -> None:
    _order_mail(
        event.order_id,
        kind="paid",
        template="order_paid",
        subject=gettext_lazy("Payment received for order %(number)s"),
    )


@subscribe(OrderFulfilled, name="shop.email_order_fulfilled")
def email_order_fulfilled(event: OrderFulfilled) -> None:
    _order_mail(
        event.order_id,
        kind="fulfilled",
        template="order_fulfilled",
        subject=gettext_lazy("Your order %(number)s is on its way"),
    )


def _staff_emails() -> list[str]:
    """Who handles orders: settings.ADMINS, and active staff allowed to
    change orders (superusers included)."""
    users = get_user_model().objects.with_perm(
        "shop.change_order",
        include_superusers=True,
        backend="django.contrib.auth.backends.ModelBackend",
    )
    emails = [email for _name, email in getattr(settings, "ADMINS", [])]
    emails += users.filter(is_staff=True).exclude(email="").values_list("email", flat=True)
    return sorted(set(emails))


@subscribe(OrderRefundDue, name="shop.email_staff_refund_due")
def email_staff_refund_due(event: OrderRefundDue) -> None:
    """The shop holds money it must return: staff hear of it at once."""
    recipients = _staff_emails()
    order = Order.objects.filter(pk=event.order_id).first()
    if order is None or not order.refund_due or not recipients:
        # Refunded before this mail went out: nothing left to do.
        return
    with translation.override(settings.LANGUAGE_CODE):
        try:
            admin_url = absolute_url(reverse("admin:shop_order_change", args=[order.pk]))
        except NoReverseMatch:
            admin_url = ""
        _send(
            # Each refund-due event is its own news (a cancellation, then a
            # late capture): keyed by the event, one email to every handler.
            key=f"order:{order.pk}:refund_due:{event.event_id}:staff",
            template="staff_refund_due",
            subject=_("Refund due for order %(number)s") % {"number": order.number},
            to=recipients,
            context={
                "order": order,
                "amount": event.amount,
                "reason": event.reason,
                "admin_url": admin_url,
            },
        )


@subscribe(VariantBackInStock, name="shop.email_back_in_stock")
def email_back_in_stock(event: VariantBackInStock) -> None:
    alerts = list(
        StockAlert.objects.select_for_update()
        .select_related("variant__product")
        .filter(variant_id=event.variant_id, notified_at__isnull=True, confirmed_at__isnull=False)
        .order_by("pk")
    )
    now = timezone.now()
    for alert in alerts:
        product = alert.variant.product
        with translation.override(alert.language or settings.LANGUAGE_CODE):
            try:
                product_url = absolute_url(product.get_absolute_url())
            except NoReverseMatch:
                product_url = ""
            _send(
                key=f"stock_alert:{alert.pk}:back_in_stock:{event.event_id}",
                template="back_in_stock",
                subject=_("%(item)s is back in stock") % {"item": alert.variant},
                to=alert.email,
                context={
                    "variant": alert.variant,
                    "product": product,
                    "product_url": product_url,
                },
            )
            if alert.user_id is not None:
                notify(
                    user_id=alert.user_id,
                    kind="shop.back_in_stock",
                    key=f"shop.back_in_stock:{alert.pk}:{event.event_id}",
                    data={"product": str(alert.variant), "product_id": product.pk},
                    url=_site_path("shop:product", slug=product.slug),
                )
        alert.notified_at = now
        alert.save(update_fields=["notified_at"])
