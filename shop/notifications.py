"""The shop's kinds of notification (core.notifications), registered in
ShopConfig.ready(). The shop sends its own emails for both (the order and
back-in-stock mails in shop.handlers): the centre only lists them."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.notifications import Delivery, NotificationKind, notification_kind_register

# The same wording as the emails' subjects (shop.handlers).
_ORDER_STATUS_TEXT = {
    "placed": gettext_lazy("We received your order %(number)s"),
    "paid": gettext_lazy("Payment received for order %(number)s"),
    "fulfilled": gettext_lazy("Your order %(number)s is on its way"),
}


def render_order_status(data: dict) -> str:
    text = _ORDER_STATUS_TEXT.get(data.get("status", ""))
    if text is None:
        return _("Order %(number)s was updated") % {"number": data.get("number", "")}
    return str(text) % {"number": data.get("number", "")}


def render_back_in_stock(data: dict) -> str:
    return _("%(item)s is back in stock") % {"item": data.get("product", "")}


ORDER_STATUS = NotificationKind(
    code="shop.order_status",
    label=gettext_lazy("Order updates"),
    render=render_order_status,
    default=Delivery.WEB,
    email=False,
    mutable=False,
    description=gettext_lazy("Your orders' confirmations, payments and shipping."),
)
BACK_IN_STOCK = NotificationKind(
    code="shop.back_in_stock",
    label=gettext_lazy("Back in stock"),
    render=render_back_in_stock,
    default=Delivery.WEB,
    email=False,
    description=gettext_lazy("A product you asked to hear about can be ordered again."),
)


def register() -> None:
    notification_kind_register(ORDER_STATUS)
    notification_kind_register(BACK_IN_STOCK)
