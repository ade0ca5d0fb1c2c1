"""Wishlist and back-in-stock alerts."""

from __future__ import annotations

import enum
import time

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import ApplicationError
from core.mail import absolute_url
from core.mailer import email_record
from shop.models import Product, StockAlert, Variant, WishlistItem
from shop.ratelimit import rate_limits_consume

CONFIRM_SALT = "shop.stock_alert.confirm"


def wishlist_add(*, user, product_id: int) -> tuple[WishlistItem, bool]:
    """Returns (item, created); adding a product twice keeps one entry."""
    product = Product.objects.visible().filter(pk=product_id).first()
    if product is None:
        raise ApplicationError(
            _("This product is not available."), code="not_found", status_code=404
        )
    try:
        with transaction.atomic():
            return WishlistItem.objects.get_or_create(user=user, product=product)
    except IntegrityError:
        # A parallel request added it first.
        return WishlistItem.objects.get(user=user, product=product), False


def wishlist_remove(*, user, product_id: int) -> bool:
    """Returns whether something was removed."""
    deleted, _rows = WishlistItem.objects.filter(user=user, product_id=product_id).delete()
    return bool(deleted)


class AlertOutcome(enum.Enum):
    ACTIVE = "active"  # on the list now (a member's own verified address)
    ALREADY_ACTIVE = "already_active"
    CONFIRMATION_SENT = "confirmation_sent"  # active once the emailed link is followed


def _is_own_verified_address(user, email: str) -> bool:
    if user is None or not user.is_authenticated:
        return False
    return EmailAddress.objects.filter(user=user, email__iexact=email, verified=True).exists()


def stock_alert_subscribe(
    *, variant_id: int, email: str, user=None, client_ip: str = ""
) -> tuple[StockAlert, AlertOutcome]:
    """Ask to be emailed when a sold-out variant is back.

    A member's alert for their own verified address is active at once (one
    click). Any other address (a guest's, or one the member has not
    verified) gets a confirmation link first, so nobody can subscribe a
    stranger: the alert is sent only once confirmed. Those confirmation
    mails are rate limited per client address and per email address
    (SHOP_RATE_LIMITS); over the limit raises ApplicationError
    "rate_limited". Signing up twice keeps the one pending alert."""
    email = (email or "").strip().lower()
    if not email:
        raise ApplicationError(_("Enter your email address."), code="email_required")
    variant = (
        Variant.objects.select_related("product")
        .filter(pk=variant_id, is_active=True, product__is_published=True)
        .first()
    )
    if variant is None:
        raise ApplicationError(_("This item is not available."), code="not_found", status_code=404)
    if variant.available > 0:
        raise ApplicationError(
            _("Good news: this item is in stock, you can order it now."),
            code="in_stock",
            status_code=409,
        )
    owner = user if user is not None and user.is_authenticated else None
    if _is_own_verified_address(owner, email):
        return _alert_activate(variant=variant, email=email, owner=owner)
    alert = _pending_alert(variant=variant, email=email, owner=owner)
    if alert.confirmed_at is not None:
        return alert, AlertOutcome.ALREADY_ACTIVE
    if not rate_limits_consume(hits={"stock_alert_ip": client_ip, "stock_alert_email": email}):
        raise ApplicationError(
            _(
                "Too many alert requests for now. Try again later, or log in to "
                "set alerts for your own address in one click."
            ),
            code="rate_limited",
            status_code=429,
        )
    _confirmation_mail(alert=alert)
    return alert, AlertOutcome.CONFIRMATION_SENT


def _alert_activate(*, variant, email: str, owner) -> tuple[StockAlert, AlertOutcome]:
    alert = _pending_alert(variant=variant, email=email, owner=owner)
    if alert.confirmed_at is not None:
        return alert, AlertOutcome.ALREADY_ACTIVE
    StockAlert.objects.filter(pk=alert.pk, confirmed_at=None).update(
        confirmed_at=timezone.now(), user=owner
    )
    alert.refresh_from_db()
    return alert, AlertOutcome.ACTIVE


def _pending_alert(*, variant, email: str, owner) -> StockAlert:
    """The one not-yet-sent alert for (variant, email), created unconfirmed
    when there is none."""
    existing = StockAlert.objects.filter(variant=variant, email=email, notified_at=None).first()
    if existing:
        return existing
    try:
        with transaction.atomic():
            return StockAlert.objects.create(
                variant=variant, email=email, user=owner, confirmed_at=None
            )
    except IntegrityError:
        return StockAlert.objects.get(variant=variant, email=email, notified_at=None)


def stock_alert_confirm_token(*, alert: StockAlert) -> str:
    return signing.dumps(alert.pk, salt=CONFIRM_SALT, compress=False)


def _confirmation_mail(*, alert: StockAlert) -> None:
    token = stock_alert_confirm_token(alert=alert)
    context = {
        "site_name": settings.SITE_NAME,
        "variant": alert.variant,
        "confirm_url": absolute_url(reverse("shop:stock_alert_confirm", args=[token])),
        "max_age_days": settings.SHOP_STOCK_ALERT_CONFIRM_DAYS,
    }
    # One mail per alert per hour at most, however often the form is sent.
    window = int(time.time() // 3600)
    email_record(
        key=f"stock_alert:{alert.pk}:confirm:{window}",
        kind="shop.stock_alert_confirm",
        to=alert.email,
        subject=f"[{settings.SITE_NAME}] "
        + _("Confirm your back-in-stock alert for %(item)s") % {"item": alert.variant},
        body_text=render_to_string("shop/email/stock_alert_confirm.txt", context),
        body_html=render_to_string("shop/email/stock_alert_confirm.html", context),
        secret=True,
    )


def stock_alert_confirm(*, token: str) -> StockAlert:
    """Activate the alert the emailed link names. A link older than
    SHOP_STOCK_ALERT_CONFIRM_DAYS, forged, or for an alert already sent or
    gone raises ApplicationError; confirming twice is harmless."""
    try:
        alert_id = signing.loads(
            token, salt=CONFIRM_SALT, max_age=settings.SHOP_STOCK_ALERT_CONFIRM_DAYS * 86400
        )
    except signing.SignatureExpired as exc:
        raise ApplicationError(
            _("This confirmation link has expired. Ask for the alert again."),
            code="link_expired",
            status_code=410,
        ) from exc
    except signing.BadSignature as exc:
        raise ApplicationError(
            _("This confirmation link is not valid."), code="link_invalid", status_code=404
        ) from exc
    alert = (
        StockAlert.objects.select_related("variant__product")
        .filter(pk=alert_id, notified_at=None)
        .first()
    )
    if alert is None:
        raise ApplicationError(
            _("This alert is no longer pending."), code="not_found", status_code=404
        )
    StockAlert.objects.filter(pk=alert.pk, confirmed_at=None).update(confirmed_at=timezone.now())
    alert.refresh_from_db()
    return alert
