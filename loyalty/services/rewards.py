"""Rewards bought with points, and the "loyalty.reward" checkout adjustment
(core.hooks.CHECKOUT_ADJUSTMENTS) through which a member uses a code they
bought: theirs alone, on one order at a time; cancelling that order (or
refunding it in full) makes the code usable again."""

from __future__ import annotations

import secrets
from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import ApplicationError
from core.money import format_money, quantize
from loyalty.models import RedemptionStatus, Reward, RewardKind, RewardRedemption
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
    points; concurrent buyers are serialised by the reward's row lock."""
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
    redemption = RewardRedemption.objects.create(
        reward=reward, user=user, code=_code_generate(), points=reward.points_price
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


def _usable(*, user, code: str) -> RewardRedemption | None:
    code = (code or "").strip()
    if not code or user is None or not user.is_authenticated:
        return None
    return (
        RewardRedemption.objects.select_related("reward")
        .filter(code__iexact=code, user=user, status=RedemptionStatus.ISSUED)
        .first()
    )


def _amount_off(reward: Reward, subtotal: Decimal) -> Decimal:
    if subtotal < reward.minimum_subtotal:
        return Decimal(0)
    if reward.kind == RewardKind.PERCENT:
        return min(quantize(subtotal * reward.value / Decimal(100)), subtotal)
    return min(reward.value, subtotal)


class RewardAtCheckout:
    code = "loyalty.reward"

    def quote(self, *, user, subtotal, choice):
        redemption = _usable(user=user, code=choice)
        if redemption is None:
            return None
        amount = _amount_off(redemption.reward, Decimal(subtotal))
        if amount <= 0:
            return None
        return {
            "label": redemption.reward.name,
            "amount": amount,
            "data": {"redemption_id": redemption.pk},
        }

    def field(self, *, user, subtotal, choice):
        if user is None or not user.is_authenticated:
            return None
        if not RewardRedemption.objects.filter(user=user, status=RedemptionStatus.ISSUED).exists():
            return None
        error = ""
        redemption = _usable(user=user, code=choice)
        if (choice or "").strip() and redemption is None:
            error = _("This reward code is not yours to use, or it has been used.")
        elif redemption is not None and not _amount_off(redemption.reward, Decimal(subtotal)):
            error = _("This reward needs an order of at least %(amount)s.") % {
                "amount": format_money(redemption.reward.minimum_subtotal)
            }
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
        ):
            raise ApplicationError(
                _("This reward code is not yours to use, or it has been used."),
                code="reward_code_invalid",
            )
        redemption.status = RedemptionStatus.USED
        redemption.order_id = order_id
        redemption.order_amount = amount
        redemption.released_amount = Decimal(0)
        redemption.used_at = timezone.now()
        redemption.save(
            update_fields=["status", "order_id", "order_amount", "released_amount", "used_at"]
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
            redemption.used_at = None
            fields += ["status", "order_id", "used_at"]
        redemption.save(update_fields=fields)


reward_at_checkout = RewardAtCheckout()
