"""Earning rules: what members earn points for, edited in the admin, and the
small tables their handlers keep (loyalty reads no shop or community table)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class RuleCode(models.TextChoices):
    PURCHASE = "purchase", _("Purchase")
    SIGNUP = "signup", _("Sign-up")
    EMAIL_VERIFIED = "email_verified", _("Email verified")
    REVIEW = "review", _("Review")
    REVIEW_PHOTO = "review_photo", _("Review with photo")
    FIRST_REVIEW = "first_review", _("First review of a product")
    REVIEW_HELPFUL = "review_helpful", _("Review marked helpful")
    ANSWER = "answer", _("Answer posted")
    ANSWER_ACCEPTED = "answer_accepted", _("Answer accepted")
    FORUM_THREAD = "forum_thread", _("Forum thread")
    FORUM_REPLY = "forum_reply", _("Forum reply")
    POLL_VOTE = "poll_vote", _("Poll vote")
    DAILY_VISIT = "daily_visit", _("Daily visit streak")
    BIRTHDAY = "birthday", _("Birthday")
    PROFILE_COMPLETED = "profile_completed", _("Profile completed")
    REFERRAL = "referral", _("Referral (both sides)")
    CONTRIBUTION_SOLD = "contribution_sold", _("Review or answer read before a purchase")


class EarningRule(models.Model):
    """How many points one trigger earns, and its limits per member."""

    code = models.CharField(_("trigger"), max_length=50, unique=True, choices=RuleCode.choices)
    points = models.PositiveIntegerField(
        _("points"),
        default=0,
        help_text=_(
            "Points per award. For the purchase rule: unused (see points per currency "
            "unit). For the daily visit: points per day of the streak."
        ),
    )
    points_per_unit = models.DecimalField(
        _("points per currency unit spent"),
        max_digits=12,
        decimal_places=6,
        default=Decimal("0"),
        help_text=_("Purchase rule only: e.g. 0.0001 is 1 point per 10,000 spent."),
    )
    enabled = models.BooleanField(_("enabled"), default=True)
    daily_cap = models.PositiveIntegerField(
        _("daily cap (points)"),
        null=True,
        blank=True,
        help_text=_("Most points a member earns by this rule in a day. Blank: no cap."),
    )
    lifetime_cap = models.PositiveIntegerField(
        _("lifetime cap (points)"),
        null=True,
        blank=True,
        help_text=_("Most points a member ever earns by this rule. Blank: no cap."),
    )
    min_trust_level = models.PositiveSmallIntegerField(
        _("minimum trust level"),
        default=0,
        validators=[MinValueValidator(0), MaxValueValidator(2)],
        help_text=_("0 new, 1 basic, 2 member: the community trust level this rule needs."),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("earning rule")
        verbose_name_plural = _("earning rules")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(min_trust_level__lte=2), name="loyalty_rule_trust_level_range"
            ),
        ]

    def __str__(self) -> str:
        return self.get_code_display()


class PaidOrder(models.Model):
    """An order's total as OrderPaid told it: a refund reverses the share of
    the order's points that `refunded_total` is of it."""

    order_id = models.BigIntegerField(_("order"), primary_key=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("member"),
    )
    total = models.DecimalField(_("total"), max_digits=12, decimal_places=2, null=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    # The latest cancellation or refund heard, kept so that an OrderPaid
    # delivered after it (events arrive out of order) is settled the same way.
    # settled_share: 0 for a cancellation or a full refund; None for a partial
    # refund, whose share is worked out from refunded_total once total is known.
    settled_share = models.FloatField(_("share standing after settlement"), null=True, blank=True)
    refunded_total = models.DecimalField(
        _("refunded in all"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    settled_at = models.DateTimeField(_("settled at"), null=True, blank=True)
    settled_event_id = models.UUIDField(_("settling event"), null=True, blank=True)

    class Meta:
        verbose_name = _("paid order")
        verbose_name_plural = _("paid orders")

    def __str__(self) -> str:
        return f"order {self.order_id}: {self.total}"


class FirstReview(models.Model):
    """The review that earned a product's first-review bonus: one per
    product, ever (the primary key settles concurrent reviews)."""

    product_id = models.BigIntegerField(_("product"), primary_key=True)
    review_id = models.BigIntegerField(_("review"), unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("member"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("first review of a product")
        verbose_name_plural = _("first reviews of products")

    def __str__(self) -> str:
        return f"product {self.product_id}: review {self.review_id}"


class ReferralCode(models.Model):
    """A member's code for `?ref=<code>` links."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="referral_code",
        verbose_name=_("member"),
    )
    code = models.CharField(_("code"), max_length=32, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("referral code")
        verbose_name_plural = _("referral codes")

    def __str__(self) -> str:
        return self.code


class Referral(models.Model):
    """A member who joined through another's link: both earn once the
    referred member's first order is paid."""

    referrer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="referrals_made",
        verbose_name=_("referred by"),
    )
    referred = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="referral",
        verbose_name=_("referred member"),
    )
    first_order_id = models.BigIntegerField(_("first paid order"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(referrer=models.F("referred")),
                name="loyalty_referral_not_self",
            )
        ]

    def __str__(self) -> str:
        return f"{self.referrer_id} -> {self.referred_id}"
