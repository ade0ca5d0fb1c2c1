"""Early-access drops: products that open to some members before their
public launch (the shop's `available_from`), and the record of who was told.

The products live in the shop, which loyalty does not import: a drop keeps
their ids; the shop answers for their names and launch dates through hooks
(core.hooks.PRODUCT_CARDS, PRODUCT_LAUNCHES)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import BaseModel


class DropAudience(models.TextChoices):
    SIGNED_IN = "signed_in", _("Every signed-in member")
    TIER = "tier", _("Members of a tier or higher")
    BADGE = "badge", _("Holders of a badge")


class EarlyAccessDrop(BaseModel):
    name = models.CharField(_("name"), max_length=120)
    description = models.CharField(
        _("description"), max_length=300, blank=True, help_text=_("One line shown to members.")
    )
    product_ids = models.JSONField(_("products"), default=list, blank=True)
    opens_at = models.DateTimeField(
        _("opens to members at"),
        help_text=_("Before the products' public launch; from then on the audience may buy them."),
    )
    audience = models.CharField(
        _("open to"), max_length=16, choices=DropAudience.choices, default=DropAudience.SIGNED_IN
    )
    tier = models.CharField(
        _("lowest tier"),
        max_length=64,
        blank=True,
        help_text=_("The tier's code: members of this tier or a higher one get early access."),
    )
    badge = models.CharField(
        _("badge"),
        max_length=64,
        blank=True,
        help_text=_("The badge's code: its holders get early access."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["opens_at", "pk"]
        verbose_name = _("early-access drop")
        verbose_name_plural = _("early-access drops")
        indexes = [models.Index(fields=["is_active", "opens_at"], name="loyalty_drop_open_idx")]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.audience == DropAudience.TIER and not self.tier:
            raise ValidationError({"tier": _("Name the lowest tier that gets early access.")})
        if self.audience == DropAudience.BADGE and not self.badge:
            raise ValidationError({"badge": _("Name the badge that gets early access.")})


class EarlyAccessNotice(models.Model):
    """A member was told that a drop is open to them: once per member and drop."""

    drop = models.ForeignKey(
        EarlyAccessDrop, verbose_name=_("drop"), on_delete=models.CASCADE, related_name="notices"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("member"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    created_at = models.DateTimeField(_("notified at"), auto_now_add=True)

    class Meta:
        verbose_name = _("early-access notice")
        verbose_name_plural = _("early-access notices")
        constraints = [
            models.UniqueConstraint(fields=["drop", "user"], name="loyalty_notice_once_per_member")
        ]

    def __str__(self) -> str:
        return f"{self.drop_id}:{self.user_id}"
