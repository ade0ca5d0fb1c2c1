"""Points at checkout: the provider loyalty registers for the shop's
core.hooks.CHECKOUT_ADJUSTMENTS under the code "loyalty.points".

The shopper's choice is a number of points, or "max" for the most they can
use. What an order may take: at most the member's available points, at most
ProgramSettings.redeem_max_share % of the subtotal, and nothing below
redeem_minimum_points (a smaller choice takes nothing off)."""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from core.exceptions import ApplicationError
from core.money import currency_places, format_money
from loyalty.models import CheckoutRedemption, PointsAccount, ProgramSettings
from loyalty.services.ledger import points_give_back, points_redeem

CHECKOUT_RULE = "checkout"
USE_MOST = "max"


def _release_notes() -> dict[str, str]:
    return {"cancelled": _("Order cancelled"), "refunded": _("Order refunded")}


def _signed_in(user) -> bool:
    return user is not None and getattr(user, "is_authenticated", False)


def _available(user_id: int) -> int:
    return (
        PointsAccount.objects.filter(user_id=user_id).values_list("available", flat=True).first()
        or 0
    )


def _money_down(amount: Decimal) -> Decimal:
    return amount.quantize(Decimal(1).scaleb(-currency_places()), rounding=ROUND_DOWN)


def _share_cap(subtotal: Decimal, program: ProgramSettings) -> int:
    share = Decimal(subtotal) * program.redeem_max_share / Decimal(100)
    return max(int((share / program.point_value).to_integral_value(rounding=ROUND_DOWN)), 0)


def points_usable(
    *, user_id: int, subtotal: Decimal, program: ProgramSettings | None = None
) -> int:
    """The most points this member may spend on an order of `subtotal`, or 0
    when that is below the program's minimum."""
    program = program or ProgramSettings.current()
    most = min(_available(user_id), _share_cap(subtotal, program))
    return most if most >= program.redeem_minimum_points else 0


def _points_for(*, user_id: int, subtotal: Decimal, choice: str, program) -> int:
    """The points a choice takes off: "max" the most usable now; a number
    that number, capped at the share of the order but NOT at the balance, so
    a choice the balance cannot pay (spent in another tab meanwhile) is
    refused when the order applies it rather than silently lowered."""
    choice = (choice or "").strip().lower()
    if choice == USE_MOST:
        return points_usable(user_id=user_id, subtotal=subtotal, program=program)
    try:
        wanted = int(choice)
    except ValueError:
        return 0
    points = min(wanted, _share_cap(subtotal, program))
    return points if points >= program.redeem_minimum_points else 0


class PointsAtCheckout:
    code = "loyalty.points"

    def quote(self, *, user, subtotal, choice):
        if not _signed_in(user) or not (choice or "").strip():
            return None
        program = ProgramSettings.current()
        points = _points_for(user_id=user.pk, subtotal=subtotal, choice=choice, program=program)
        if points <= 0:
            return None
        amount = _money_down(points * program.point_value)
        if amount <= 0:
            return None
        return {
            "label": _("%(points)s points") % {"points": points},
            "amount": amount,
            "data": {"points": points},
        }

    def field(self, *, user, subtotal, choice):
        """How the checkout page asks (see core.hooks CHECKOUT_ADJUSTMENTS)."""
        if not _signed_in(user):
            return None
        available = _available(user.pk)
        if available <= 0:
            return None
        program = ProgramSettings.current()
        most = points_usable(user_id=user.pk, subtotal=subtotal, program=program)
        if most <= 0:
            help_text = _(
                "You have %(available)s points; an order can use them from "
                "%(minimum)s points, up to %(share)s%% of its price."
            ) % {
                "available": available,
                "minimum": program.redeem_minimum_points,
                "share": program.redeem_max_share,
            }
            return {"label": _("Pay with points"), "help": help_text, "disabled": True}
        help_text = _(
            "You have %(available)s points; this order can use %(minimum)s to %(most)s "
            "(1 point = %(value)s)."
        ) % {
            "available": available,
            "minimum": program.redeem_minimum_points,
            "most": most,
            "value": format_money(program.point_value),
        }
        choice = (choice or "").strip().lower()
        error = ""
        if choice and choice != USE_MOST:
            if not choice.isdigit() or int(choice) < program.redeem_minimum_points:
                error = _("Use at least %(minimum)s points.") % {
                    "minimum": program.redeem_minimum_points
                }
            elif int(choice) > available:
                error = _("You have %(available)s points.") % {"available": available}
        return {
            "error": error,
            "label": _("Points to use"),
            "help": help_text,
            "type": "number",
            "value": "" if choice == USE_MOST else choice,
            "min": program.redeem_minimum_points,
            "max": most,
            "toggle": {
                "value": USE_MOST,
                "label": _("Use the most I can (%(most)s points)") % {"most": most},
                "checked": choice == USE_MOST,
            },
        }

    @transaction.atomic
    def apply(self, *, order_id, user_id, amount, data):
        points = int(data.get("points") or 0)
        if user_id is None or points <= 0:
            raise ApplicationError(_("Log in to pay with points."), code="points_unavailable")
        entry = points_redeem(
            user_id=user_id,
            points=points,
            subject=f"order:{order_id}",
            rule=CHECKOUT_RULE,
            note=_("Spent at checkout"),
        )
        CheckoutRedemption.objects.create(
            order_id=order_id, user_id=user_id, points=points, amount=amount
        )
        return {"points": points, "entry_id": entry.pk}

    @transaction.atomic
    def release(self, *, order_id, user_id, amount, data, reason):
        redemption = (
            CheckoutRedemption.objects.select_for_update().filter(order_id=order_id).first()
        )
        if redemption is None:
            return
        released = min(redemption.released_amount + Decimal(amount), redemption.amount)
        # Points for all the money released so far, less those already given
        # back: partial refunds never lose or add a point to rounding.
        target = (
            redemption.points
            if released >= redemption.amount
            else int(
                (redemption.points * released / redemption.amount).to_integral_value(
                    rounding=ROUND_HALF_UP
                )
            )
        )
        points = min(target, redemption.points) - redemption.points_returned
        redemption.released_amount = released
        if points > 0:
            points_give_back(
                user_id=redemption.user_id,
                points=points,
                subject=f"order:{order_id}",
                rule=CHECKOUT_RULE,
                note=_release_notes().get(reason, reason),
            )
            redemption.points_returned += points
        redemption.save(update_fields=["released_amount", "points_returned"])


points_at_checkout = PointsAtCheckout()
