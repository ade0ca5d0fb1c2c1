"""Emails the shop sends when its own events happen.

Each handler runs in the transaction that marks its outbox delivery done, so
a successful delivery sends once; a back-in-stock alert is sent only while
its `notified_at` is empty, so a second delivery of the event sends nothing."""

from __future__ import annotations

from django.conf import settings
from django.contrib.sites.models import Site
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.events import subscribe
from shop.events import OrderFulfilled, OrderPaid, OrderPlaced, VariantBackInStock
from shop.models import Order, StockAlert


def _absolute(path: str) -> str:
    protocol = getattr(settings, "ACCOUNT_DEFAULT_HTTP_PROTOCOL", "https")
    return f"{protocol}://{Site.objects.get_current().domain}{path}"


def _order_url(order: Order) -> str:
    try:
        return _absolute(reverse("shop:order_detail", kwargs={"number": order.number}))
    except NoReverseMatch:
        return ""


def _send(*, template: str, subject: str, to: str, context: dict) -> None:
    context = {"site_name": settings.SITE_NAME, **context}
    text = render_to_string(f"shop/email/{template}.txt", context)
    html = render_to_string(f"shop/email/{template}.html", context)
    message = EmailMultiAlternatives(
        subject=f"[{settings.SITE_NAME}] {subject}",
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
    )
    message.attach_alternative(html, "text/html")
    message.send()


def _order_mail(order_id: int, *, template: str, subject: str) -> None:
    order = Order.objects.filter(pk=order_id).prefetch_related("lines").first()
    if order is None or not order.email:
        return
    _send(
        template=template,
        subject=subject % {"number": order.number},
        to=order.email,
        context={"order": order, "lines": list(order.lines.all()), "order_url": _order_url(order)},
    )


@subscribe(OrderPlaced)
def email_order_placed(event: OrderPlaced) -> None:
    _order_mail(
        event.order_id, template="order_placed", subject=_("We received your order %(number)s")
    )


@subscribe(OrderPaid)
def email_order_paid(event: OrderPaid) -> None:
    _order_mail(
        event.order_id, template="order_paid", subject=_("Payment received for order %(number)s")
    )


@subscribe(OrderFulfilled)
def email_order_fulfilled(event: OrderFulfilled) -> None:
    _order_mail(
        event.order_id, template="order_fulfilled", subject=_("Your order %(number)s is on its way")
    )


@subscribe(VariantBackInStock)
def email_back_in_stock(event: VariantBackInStock) -> None:
    alerts = list(
        StockAlert.objects.select_for_update()
        .select_related("variant__product")
        .filter(variant_id=event.variant_id, notified_at__isnull=True)
        .order_by("pk")
    )
    now = timezone.now()
    for alert in alerts:
        product = alert.variant.product
        try:
            product_url = _absolute(product.get_absolute_url())
        except NoReverseMatch:
            product_url = ""
        _send(
            template="back_in_stock",
            subject=_("%(item)s is back in stock") % {"item": alert.variant},
            to=alert.email,
            context={"variant": alert.variant, "product": product, "product_url": product_url},
        )
        alert.notified_at = now
        alert.save(update_fields=["notified_at"])
