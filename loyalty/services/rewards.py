"""Rewards bought with points, and the "loyalty.reward" checkout adjustment
(core.hooks.CHECKOUT_ADJUSTMENTS) through which a member uses a code they
bought: theirs alone, on one order at a time, until it expires; cancelling
that order (or refunding it in full) makes the code usable again. A
free-shipping reward takes the order's shipping cost off (the provider
takes_shipping)."""

from __future__ import annotations

import secrets
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from core.exceptions import ApplicationError
from core.money import format_money, quantize
from loyalty.models import RedemptionStatus, Reward, RewardKind, RewardRedemption
from loyalty.models.rewards import RELEASE_GRACE_DAYS
from loyalty.services.ledger import points_redeem

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
REWARD_RULE = "reward"


def _code_generate() -> str:
    return "RW-" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(10))


@transaction.atomic
def reward_buy(*, reward_id: int, user) -> RewardRedemption:
    """Spend the reward's points price and issue the member a single-use
    code. Refused, with nothing written, when the reward is not on offer,
    out of stock, bought up to the member's limit, or the member lacks the
    points.

    Lock order: the reward's row, then the member's points account (in
    points_redeem). Concurrent buyers of one reward wait on the reward and
    then see its stock and their own purchases as committed; one member's
    concurrent purchases of different rewards wait on the account and then
    see what the first one spent, so two tabs buy twice only with the
    points for both."""
    if user is None or not user.is_authenticated:
        raise ApplicationError(_("Log in to buy rewards."), code="login_required", status_code=403)
    reward = Reward.objects.select_for_update().filter(pk=reward_id).first()
    if reward is None or not reward.on_offer():
        raise ApplicationError(
            _("This reward is not on offer."), code="reward_unavailable", status_code=404
        )
    if not reward.in_stock:
        raise ApplicationError(
            _("This reward is sold out."), code="reward_sold_out", status_code=409
        )
    if reward.limit_per_member is not None:
        bought = RewardRedemption.objects.filter(reward=reward, user=user).count()
        if bought >= reward.limit_per_member:
            raise ApplicationError(
                _("You have already bought this reward as often as it allows."),
                code="reward_limit",
                status_code=409,
            )
    expires_at = timezone.now() + timedelta(days=reward.valid_days) if reward.valid_days else None
    redemption = RewardRedemption.objects.create(
        reward=reward,
        user=user,
        code=_code_generate(),
        points=reward.points_price,
        expires_at=expires_at,
    )
    points_redeem(
        user_id=user.pk,
        points=reward.points_price,
        subject=f"reward:{redemption.pk}",
        rule=REWARD_RULE,
        note=reward.name[:200],
    )
    Reward.objects.filter(pk=reward.pk).update(bought_count=F("bought_count") + 1)
    return redemption


def _unexpired(now=None) -> Q:
    return Q(expires_at__isnull=True) | Q(expires_at__gt=now or timezone.now())


def _usable(*, user, code: str) -> RewardRedemption | None:
    code = (code or "").strip()
    if not code or user is None or not user.is_authenticated:
        return None
    return (
        RewardRedemption.objects.select_related("reward")
        .filter(_unexpired(), code__iexact=code, user=user, status=RedemptionStatus.ISSUED)
        .first()
    )


def _amount_off(reward: Reward, subtotal: Decimal, shipping: Decimal) -> Decimal:
    """What the reward takes off: the goods' `subtotal` (after the coupon),
    or for free shipping the `shipping` cost (up to its value, if any)."""
    if subtotal < reward.minimum_subtotal:
        return Decimal(0)
    if reward.kind == RewardKind.FREE_SHIPPING:
        return shipping if reward.value is None else min(reward.value, shipping)
    if reward.kind == RewardKind.PERCENT:
        return min(quantize(subtotal * reward.value / Decimal(100)), subtotal)
    return min(reward.value, subtotal)


class RewardAtCheckout:
    code = "loyalty.reward"
    takes_shipping = True

    def quote(self, *, user, subtotal, choice, shipping=Decimal(0)):
        redemption = _usable(user=user, code=choice)
        if redemption is None:
            return None
        reward = redemption.reward
        amount = _amount_off(reward, Decimal(subtotal), Decimal(shipping))
        if amount <= 0:
            return None
        return {
            "label": reward.name,
            "amount": amount,
            "data": {"redemption_id": redemption.pk},
            "off": "shipping" if reward.kind == RewardKind.FREE_SHIPPING else "goods",
        }

    def field(self, *, user, subtotal, choice, shipping=Decimal(0)):
        if user is None or not user.is_authenticated:
            return None
        usable = RewardRedemption.objects.filter(
            _unexpired(), user=user, status=RedemptionStatus.ISSUED
        )
        if not usable.exists():
            return None
        error = ""
        redemption = _usable(user=user, code=choice)
        reward = redemption.reward if redemption is not None else None
        if (choice or "").strip() and redemption is None:
            expired = RewardRedemption.objects.filter(
                user=user,
                code__iexact=(choice or "").strip(),
                status=RedemptionStatus.ISSUED,
                expires_at__lte=timezone.now(),
            ).first()
            error = (
                _("This reward code expired on %(date)s.")
                % {"date": date_format(timezone.localtime(expired.expires_at))}
                if expired is not None
                else _("This reward code is not yours to use, or it has been used.")
            )
        elif reward is not None and Decimal(subtotal) < reward.minimum_subtotal:
            error = _("This reward needs an order of at least %(amount)s.") % {
                "amount": format_money(reward.minimum_subtotal)
            }
        elif (
            reward is not None
            and reward.kind == RewardKind.FREE_SHIPPING
            and not _amount_off(reward, Decimal(subtotal), Decimal(shipping))
        ):
            error = _("This order has no shipping to pay: keep the code for an order that has.")
        return {
            "label": _("Reward code"),
            "help": _("A code you bought with points in the rewards catalogue."),
            "error": error,
            "type": "text",
            "value": (choice or "").strip(),
        }

    @transaction.atomic
    def apply(self, *, order_id, user_id, amount, data):
        redemption = (
            RewardRedemption.objects.select_for_update()
            .filter(pk=data.get("redemption_id"))
            .first()
        )
        if (
            redemption is None
            or user_id is None
            or redemption.user_id != user_id
            or redemption.status != RedemptionStatus.ISSUED
            or redemption.is_expired()
        ):
            raise ApplicationError(
                _("This reward code is not yours to use, or it has been used."),
                code="reward_code_invalid",
            )
        redemption.status = RedemptionStatus.USED
        redemption.order_id = order_id
        redemption.order_number = ""  # set from the order's OrderPlaced event
        redemption.order_amount = amount
        redemption.released_amount = Decimal(0)
        redemption.used_at = timezone.now()
        redemption.save(
            update_fields=[
                "status",
                "order_id",
                "order_number",
                "order_amount",
                "released_amount",
                "used_at",
            ]
        )
        return {"redemption_id": redemption.pk, "code": redemption.code}

    @transaction.atomic
    def release(self, *, order_id, user_id, amount, data, reason):
        redemption = (
            RewardRedemption.objects.select_for_update()
            .filter(pk=data.get("redemption_id"), order_id=order_id)
            .first()
        )
        if redemption is None:
            return
        redemption.released_amount = min(
            redemption.released_amount + Decimal(amount), redemption.order_amount
        )
        fields = ["released_amount"]
        # A partial refund keeps the code used; a cancellation, or refunds
        # reaching the whole discount, free it for another order.
        if reason == "cancelled" or redemption.released_amount >= redemption.order_amount:
            redemption.status = RedemptionStatus.ISSUED
            redemption.order_id = None
            redemption.order_number = ""
            redemption.used_at = None
            fields += ["status", "order_id", "order_number", "used_at"]
            grace = timezone.now() + timedelta(days=RELEASE_GRACE_DAYS)
            if redemption.expires_at is not None and redemption.expires_at < grace:
                redemption.expires_at = grace
                fields.append("expires_at")
        redemption.save(update_fields=fields)


reward_at_checkout = RewardAtCheckout()


def reward_order_placed(*, order_id: int, number: str, user_id: int | None) -> int:
    """Note the order's number on the code it used (the member's list links
    to the order). Idempotent; a code freed again before the event arrived
    no longer names the order and is left alone."""
    if user_id is None:
        return 0
    return RewardRedemption.objects.filter(order_id=order_id, user_id=user_id).update(
        order_number=number[:32]
    )
