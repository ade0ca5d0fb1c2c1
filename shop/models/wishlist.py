from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _


def current_language(code: str | None = None) -> str:
    """`code` (default: the active language, the request's inside one) as one
    of settings.LANGUAGES, else the site's default. A field default too."""
    try:
        return translation.get_supported_language_variant(
            code or translation.get_language() or settings.LANGUAGE_CODE
        )
    except LookupError:
        return settings.LANGUAGE_CODE


class WishlistItem(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="wishlist"
    )
    product = models.ForeignKey("shop.Product", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("wishlist item")
        verbose_name_plural = _("wishlist items")
        constraints = [
            models.UniqueConstraint(fields=["user", "product"], name="shop_wishlist_unique_product")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} ♥ {self.product_id}"


class StockAlert(models.Model):
    """Email me when this variant is back in stock."""

    variant = models.ForeignKey(
        "shop.Variant", on_delete=models.CASCADE, related_name="stock_alerts"
    )
    email = models.EmailField()
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    # The language the shopper asked in: the alert email is written in it.
    language = models.CharField(
        _("language"), max_length=10, default=current_language, editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Only confirmed alerts are sent. A guest's alert (or one for an address
    # that is not the member's verified own) waits for the link emailed to
    # that address (shop.services.wishlist); the default keeps alerts made
    # any other way (the admin, imports, older rows) active.
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True, default=timezone.now)
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("back-in-stock alert")
        verbose_name_plural = _("back-in-stock alerts")
        constraints = [
            models.UniqueConstraint(
                fields=["variant", "email"],
                name="shop_stockalert_unique_pending",
                condition=models.Q(notified_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.email} <- {self.variant_id}"
