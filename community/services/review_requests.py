"""The review-request email: REVIEW_REQUEST_DAYS after an order was
delivered, one email per order (its mail-outbox key), in the shopper's
language, listing the products of the order not reviewed yet, each with a
signed link that opens the review form for that account only.

Run by the beat task community.tasks.send_review_requests; running it twice
records nothing twice (the outbox key, and orders already asked are skipped)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from community.models import Review
from community.notifications import REVIEW_REQUEST
from core.mail import absolute_url
from core.mailer import email_record
from core.models import OutgoingEmail
from core.notifications import Delivery, notify
from core.notifications.kinds import notification_kind_get
from core.notifications.services import delivery_for
from shop.models import Order, OrderHistory, OrderLine

LINK_SALT = "community.review-request"
KIND = "community.review_request"
# Orders delivered longer ago than this window past the due day are not
# asked any more (a first run on an old shop mails no one about last year).
WINDOW_DAYS = 30
DELIVERED_STATUSES = (Order.Status.DELIVERED, Order.Status.COMPLETED)


def request_days() -> int:
    return int(getattr(settings, "REVIEW_REQUEST_DAYS", 7))


def link_max_age() -> timedelta:
    return timedelta(days=int(getattr(settings, "REVIEW_LINK_MAX_AGE_DAYS", 60)))


def email_key(order_id: int) -> str:
    return f"review-request:order:{order_id}"


def review_link_token(*, order_id: int, user_id: int, product_id: int) -> str:
    return signing.dumps({"o": order_id, "u": user_id, "p": product_id}, salt=LINK_SALT)


def review_link_load(token: str) -> dict:
    """The link's order, user and product; raises signing.SignatureExpired
    or signing.BadSignature."""
    data = signing.loads(token, salt=LINK_SALT, max_age=link_max_age())
    return {"order_id": int(data["o"]), "user_id": int(data["u"]), "product_id": int(data["p"])}


def review_link(*, order_id: int, user_id: int, product_id: int) -> str:
    token = review_link_token(order_id=order_id, user_id=user_id, product_id=product_id)
    return absolute_url(reverse("community:review_from_email", args=[token]))


def orders_due(*, now=None) -> list[int]:
    """Orders of members, delivered at least REVIEW_REQUEST_DAYS ago (within
    the window), still delivered or completed, not asked yet."""
    now = now or timezone.now()
    due_before = now - timedelta(days=request_days())
    due_after = due_before - timedelta(days=WINDOW_DAYS)
    delivered = (
        OrderHistory.objects.filter(
            to_status=Order.Status.DELIVERED,
            created_at__lte=due_before,
            created_at__gt=due_after,
            order__status__in=DELIVERED_STATUSES,
            order__user__isnull=False,
            order__user__is_active=True,
        )
        .values_list("order_id", flat=True)
        .distinct()
    )
    ids = sorted(set(delivered))
    if not ids:
        return []
    asked = set(
        OutgoingEmail.objects.filter(key__in=[email_key(pk) for pk in ids]).values_list(
            "key", flat=True
        )
    )
    return [pk for pk in ids if email_key(pk) not in asked]


def review_request_send(*, order_id: int) -> bool:
    """Record the order's review request (once); False when every product
    of it is reviewed already, or it was asked before."""
    with transaction.atomic():
        order = Order.objects.select_related("user").filter(pk=order_id).first()
        if order is None or order.user is None:
            return False
        if OutgoingEmail.objects.filter(key=email_key(order.pk)).exists():
            return False
        product_ids = list(
            OrderLine.objects.filter(order=order, variant__isnull=False)
            .order_by("pk")
            .values_list("variant__product_id", flat=True)
        )
        reviewed = set(
            Review.objects.filter(author=order.user, product_id__in=product_ids).values_list(
                "product_id", flat=True
            )
        )
        wanted = [pk for pk in dict.fromkeys(product_ids) if pk not in reviewed]
        if not wanted:
            return False
        # A member who switched review requests off gets neither the email
        # nor the notifications.
        kind = notification_kind_get(REVIEW_REQUEST)
        if delivery_for(user_id=order.user_id, kind=kind) == Delivery.OFF:
            return False
        from shop.models import Product

        language = order.language or settings.LANGUAGE_CODE
        with translation.override(language):
            products = {p.pk: p for p in Product.objects.filter(pk__in=wanted)}
            items = [
                {
                    "name": products[pk].name,
                    "url": review_link(order_id=order.pk, user_id=order.user_id, product_id=pk),
                }
                for pk in wanted
                if pk in products
            ]
            if not items:
                return False
            context = {
                "site_name": settings.SITE_NAME,
                "order": order,
                # Their own name, or none (not the numbered name others see).
                "name": order.user.display_name,
                "items": items,
            }
            for pk in wanted:
                if pk in products:
                    # Stored without a language prefix: shown in the reader's.
                    with translation.override(settings.LANGUAGE_CODE):
                        url = reverse("community:review_write", args=[products[pk].slug])
                    notify(
                        user_id=order.user_id,
                        kind=REVIEW_REQUEST,
                        key=f"review.request:{order.pk}:{pk}",
                        data={"title": products[pk].name},
                        url=url,
                    )
            email_record(
                key=email_key(order.pk),
                kind=KIND,
                to=order.user.email,
                subject=f"[{settings.SITE_NAME}] "
                + _("How was your order %(number)s?") % {"number": order.number},
                body_text=render_to_string("community/reviews/email/request.txt", context),
                body_html=render_to_string("community/reviews/email/request.html", context),
            )
    return True


def review_requests_send(*, now=None) -> int:
    """Beat: record the review requests that are due; the number recorded."""
    sent = 0
    for order_id in orders_due(now=now):
        if review_request_send(order_id=order_id):
            sent += 1
    return sent
