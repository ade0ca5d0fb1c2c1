from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.models import BaseModel
from core.money import format_money

MONEY = {"max_digits": 12, "decimal_places": 2, "validators": [MinValueValidator(Decimal("0"))]}


class Address(BaseModel):
    """An entry in a user's address book."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="addresses"
    )
    full_name = models.CharField(_("full name"), max_length=120)
    phone = models.CharField(_("phone"), max_length=32)
    line1 = models.CharField(_("address"), max_length=200)
    line2 = models.CharField(_("address line 2"), max_length=200, blank=True)
    city = models.CharField(_("city"), max_length=100)
    region = models.CharField(_("province / region"), max_length=100, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=16)
    country = models.CharField(_("country"), max_length=2, default="ID")
    is_default = models.BooleanField(_("default address"), default=False)

    class Meta:
        ordering = ["-is_default", "-created_at"]
        verbose_name = _("address")
        verbose_name_plural = _("addresses")

    def __str__(self) -> str:
        return f"{self.full_name}, {self.line1}, {self.city}"

    def as_snapshot(self) -> dict:
        return {
            "full_name": self.full_name,
            "phone": self.phone,
            "line1": self.line1,
            "line2": self.line2,
            "city": self.city,
            "region": self.region,
            "postal_code": self.postal_code,
            "country": self.country,
        }


class ShippingMethod(models.Model):
    class Kind(models.TextChoices):
        FLAT = "flat", _("Flat rate")
        FREE_OVER = "free_over", _("Free over a threshold")
        PICKUP = "pickup", _("Local pickup")

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.FLAT)
    price = models.DecimalField(_("price"), default=Decimal("0"), **MONEY)
    free_over = models.DecimalField(
        _("free over"),
        null=True,
        blank=True,
        help_text=_("Order subtotal from which shipping is free."),
        **MONEY,
    )
    description = models.CharField(_("description"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("shipping method")
        verbose_name_plural = _("shipping methods")

    def __str__(self) -> str:
        return self.name

    def cost_for(self, subtotal: Decimal) -> Decimal:
        if self.kind == self.Kind.PICKUP:
            return Decimal("0")
        if (
            self.kind == self.Kind.FREE_OVER
            and self.free_over is not None
            and subtotal >= self.free_over
        ):
            return Decimal("0")
        return self.price


class Coupon(BaseModel):
    class Kind(models.TextChoices):
        PERCENT = "percent", _("Percentage off")
        FIXED = "fixed", _("Fixed amount off")
        FREE_SHIPPING = "free_shipping", _("Free shipping")

    code = models.CharField(_("code"), max_length=40, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    value = models.DecimalField(
        _("value"), default=Decimal("0"), help_text=_("Percent (0-100) or amount."), **MONEY
    )
    minimum_subtotal = models.DecimalField(_("minimum order"), default=Decimal("0"), **MONEY)
    valid_from = models.DateTimeField(_("valid from"), null=True, blank=True)
    valid_until = models.DateTimeField(_("valid until"), null=True, blank=True)
    usage_limit = models.PositiveIntegerField(
        _("total uses"), null=True, blank=True, help_text=_("Empty for unlimited.")
    )
    usage_limit_per_user = models.PositiveIntegerField(
        _("uses per customer"), null=True, blank=True
    )
    first_order_only = models.BooleanField(_("first order only"), default=False)
    times_used = models.PositiveIntegerField(_("times used"), default=0, editable=False)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("coupon")
        verbose_name_plural = _("coupons")
        constraints = [
            models.CheckConstraint(
                condition=Q(usage_limit__isnull=True) | Q(times_used__lte=models.F("usage_limit")),
                name="shop_coupon_within_usage_limit",
            ),
            models.CheckConstraint(
                condition=~Q(kind="percent") | Q(value__lte=100), name="shop_coupon_percent_max_100"
            ),
        ]

    def __str__(self) -> str:
        return self.code


class Order(BaseModel):
    class Status(models.TextChoices):
        PENDING_PAYMENT = "pending_payment", _("Pending payment")
        PAID = "paid", _("Paid")
        FULFILLED = "fulfilled", _("Shipped")
        DELIVERED = "delivered", _("Delivered")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")
        REFUNDED = "refunded", _("Refunded")

    number = models.CharField(_("number"), max_length=20, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="orders",
    )
    email = models.EmailField(_("email"))
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=Status.choices,
        default=Status.PENDING_PAYMENT,
        db_index=True,
    )
    currency = models.CharField(_("currency"), max_length=3)
    subtotal = models.DecimalField(_("subtotal"), **MONEY)
    discount_total = models.DecimalField(_("discount"), default=Decimal("0"), **MONEY)
    shipping_total = models.DecimalField(_("shipping"), default=Decimal("0"), **MONEY)
    tax_total = models.DecimalField(_("tax"), default=Decimal("0"), **MONEY)
    total = models.DecimalField(_("total"), **MONEY)
    refunded_total = models.DecimalField(_("refunded"), default=Decimal("0"), **MONEY)
    shipping_method = models.ForeignKey(
        ShippingMethod, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    shipping_method_name = models.CharField(_("shipping method"), max_length=100, blank=True)
    shipping_address = models.JSONField(_("shipping address"), default=dict, blank=True)
    coupon = models.ForeignKey(
        Coupon, on_delete=models.SET_NULL, null=True, blank=True, related_name="orders"
    )
    coupon_code = models.CharField(_("coupon"), max_length=40, blank=True)
    payment_gateway = models.CharField(_("payment method"), max_length=40)
    payment_reference = models.CharField(_("payment reference"), max_length=120, blank=True)
    reserved_until = models.DateTimeField(_("stock held until"), null=True, blank=True)
    # NULL (not "") for "no key", so the unique constraint ignores those orders.
    idempotency_key = models.CharField(max_length=100, null=True, blank=True, editable=False)  # noqa: DJ001
    # Whose key it is ("user:<pk>" or, for a guest, "cart:<pk>" of the
    # session's cart): a replay answers only the one who placed the order.
    idempotency_scope = models.CharField(max_length=80, blank=True, editable=False)
    # What the request that placed the order asked for (a keyed hash of its
    # body and user): the same key with another request is refused.
    idempotency_fingerprint = models.CharField(max_length=64, blank=True, editable=False)
    carrier = models.CharField(_("carrier"), max_length=60, blank=True)
    tracking_number = models.CharField(_("tracking number"), max_length=80, blank=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    note = models.TextField(_("customer note"), blank=True, max_length=1000)
    # The shopper's language at checkout: their emails are written in it.
    language = models.CharField(
        _("language"), max_length=10, default=settings.LANGUAGE_CODE, editable=False
    )
    # Money the shop holds for this order and must return: a payment that
    # arrived after the order was cancelled, or a paid order cancelled.
    refund_due = models.DecimalField(
        _("refund due"),
        default=Decimal("0"),
        help_text=_("Money received that must be returned to the shopper."),
        **MONEY,
    )
    # The sequence number of the order's latest event: each event about the
    # order carries the next one, so a consumer can put them in order.
    event_sequence = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        constraints = [
            models.UniqueConstraint(
                fields=["idempotency_scope", "idempotency_key"],
                name="shop_order_unique_idempotency_key_per_scope",
                condition=Q(idempotency_key__isnull=False),
            ),
            models.CheckConstraint(condition=Q(total__gte=0), name="shop_order_total_not_negative"),
            models.CheckConstraint(
                condition=Q(refunded_total__lte=models.F("total")),
                name="shop_order_refund_within_total",
            ),
            models.CheckConstraint(
                condition=Q(refund_due__lte=models.F("total") - models.F("refunded_total")),
                name="shop_order_refund_due_within_total",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("shop:order_detail", kwargs={"number": self.number})

    @property
    def coupon_discount(self) -> Decimal:
        """The part of `discount_total` that is the coupon's: the rest are the
        adjustment lines (points and the like), each shown on its own."""
        return self.discount_total - sum((a.amount for a in self.adjustments.all()), Decimal("0"))


class OrderLine(models.Model):
    """A snapshot: what was bought at which price, even if the product changes."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    variant = models.ForeignKey(
        "shop.Variant", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    product_name = models.CharField(_("product"), max_length=200)
    sku = models.CharField(_("SKU"), max_length=64)
    options_label = models.CharField(_("options"), max_length=200, blank=True)
    unit_price = models.DecimalField(_("unit price"), **MONEY)
    quantity = models.PositiveIntegerField(_("quantity"))
    line_total = models.DecimalField(_("line total"), **MONEY)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")

    def __str__(self) -> str:
        return f"{self.quantity} × {self.product_name}"


class OrderAdjustment(models.Model):
    """An amount another app took off the order at checkout (points, say),
    applied in the order's own transaction by the provider registered for
    `code` (core.hooks.CHECKOUT_ADJUSTMENTS). What has been given back on a
    cancellation or refund is `released_amount`."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="adjustments")
    code = models.CharField(_("code"), max_length=60)
    label = models.CharField(_("label"), max_length=200)
    amount = models.DecimalField(_("amount off"), **MONEY)
    released_amount = models.DecimalField(_("released"), default=Decimal("0"), **MONEY)
    # What the provider needs to release it (e.g. its ledger entry), as it
    # answered when applying it.
    data = models.JSONField(_("data"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("order adjustment")
        verbose_name_plural = _("order adjustments")
        constraints = [
            models.CheckConstraint(
                condition=Q(released_amount__lte=models.F("amount")),
                name="shop_adjustment_released_within_amount",
            ),
            models.UniqueConstraint(fields=["order", "code"], name="shop_adjustment_one_per_code"),
        ]

    def __str__(self) -> str:
        return f"{self.label}: -{format_money(self.amount)}"

    @property
    def unreleased(self) -> Decimal:
        return self.amount - self.released_amount


class OrderHistory(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="history")
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    note = models.TextField(blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("order history entry")
        verbose_name_plural = _("order history")

    def __str__(self) -> str:
        labels = dict(Order.Status.choices)
        before = labels.get(self.from_status, self.from_status) or "—"
        return f"{before} → {labels.get(self.to_status, self.to_status)}"


class CouponRedemption(models.Model):
    coupon = models.ForeignKey(Coupon, on_delete=models.CASCADE, related_name="redemptions")
    order = models.OneToOneField(Order, on_delete=models.CASCADE, related_name="coupon_redemption")
    email = models.EmailField()
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("coupon redemption")
        verbose_name_plural = _("coupon redemptions")

    def __str__(self) -> str:
        return f"{self.coupon} on {self.order}"


class Payment(BaseModel):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")
        # Captured for an order that was already cancelled: the money goes back.
        REFUND_DUE = "refund_due", _("Received after cancellation, refund due")
        REFUNDED = "refunded", _("Refunded")

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="payments")
    gateway = models.CharField(_("gateway"), max_length=40)
    reference = models.CharField(_("reference"), max_length=120, blank=True, db_index=True)
    amount = models.DecimalField(_("amount"), **MONEY)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    message = models.CharField(_("message"), max_length=255, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")

    def __str__(self) -> str:
        return f"{self.gateway} {format_money(self.amount)} ({self.get_status_display()})"


class WebhookReceipt(models.Model):
    """Each gateway notification is processed once: a replay finds its row."""

    gateway = models.CharField(max_length=40)
    event_id = models.CharField(max_length=120)
    payload = models.JSONField(default=dict)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("webhook receipt")
        verbose_name_plural = _("webhook receipts")
        constraints = [
            models.UniqueConstraint(
                fields=["gateway", "event_id"], name="shop_webhook_unique_event"
            )
        ]

    def __str__(self) -> str:
        return f"{self.gateway}:{self.event_id}"
