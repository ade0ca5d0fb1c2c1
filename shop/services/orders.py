"""Order lifecycle. Every change locks the order row, checks the transition,
records history and publishes an event for other apps."""

from __future__ import annotations

import logging
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.events import publish
from core.exceptions import ApplicationError
from core.money import quantize
from shop import events, payments
from shop.models import (
    Coupon,
    CouponRedemption,
    Order,
    OrderHistory,
    Payment,
    Product,
    Variant,
    WebhookReceipt,
)
from shop.payments.base import PaymentResult
from shop.services.adjustments import adjustment_lines, adjustments_release, shipping_paid
from shop.services.order_events import order_event_lines, order_next_sequence
from shop.services.stock import stock_commit, stock_release, stock_restock

logger = logging.getLogger(__name__)

S = Order.Status
TRANSITIONS: dict[str, set[str]] = {
    S.PENDING_PAYMENT: {S.PAID, S.CANCELLED},
    S.PAID: {S.FULFILLED, S.CANCELLED, S.REFUNDED},
    S.FULFILLED: {S.DELIVERED, S.REFUNDED},
    S.DELIVERED: {S.COMPLETED, S.REFUNDED},
    S.COMPLETED: {S.REFUNDED},
    S.CANCELLED: set(),
    S.REFUNDED: set(),
}


def _lock(order_id: int) -> Order:
    order = Order.objects.select_for_update().filter(pk=order_id).first()
    if order is None:
        raise ApplicationError(_("No such order."), code="not_found", status_code=404)
    return order


def _move(order: Order, to_status: str, *, actor=None, note: str = "", fields=()) -> None:
    if to_status not in TRANSITIONS[order.status]:
        raise ApplicationError(
            _("Order %(number)s cannot go from “%(from)s” to “%(to)s”.")
            % {
                "number": order.number,
                "from": order.get_status_display(),
                "to": S(to_status).label,
            },
            code="invalid_transition",
            status_code=409,
        )
    from_status = order.status
    order.status = to_status
    order.save(update_fields=["status", "updated_at", *fields])
    _history(order, note=note, actor=actor, from_status=from_status)


def _history(order: Order, *, note: str, actor=None, from_status: str | None = None) -> None:
    """One line of the order's history; without `from_status`, a note on an
    order whose status does not change."""
    OrderHistory.objects.create(
        order=order,
        from_status=order.status if from_status is None else from_status,
        to_status=order.status,
        note=note,
        actor=actor if actor is not None and actor.is_authenticated else None,
    )


def _quantities(order: Order) -> dict[int, int]:
    quantities: dict[int, int] = {}
    for line in order.lines.all():
        if line.variant_id:
            quantities[line.variant_id] = quantities.get(line.variant_id, 0) + line.quantity
    return quantities


def _product_ids(order: Order) -> list[int]:
    return sorted(
        set(order.lines.exclude(variant=None).values_list("variant__product_id", flat=True))
    )


@transaction.atomic
def order_mark_paid(*, order_id: int, payment_reference: str = "", actor=None) -> Order:
    """Payment arrived: commit the held stock. Paying a paid order with the
    same reference is a no-op (webhook retries, double clicks)."""
    order = _lock(order_id)
    if (
        order.status == S.PAID
        and payment_reference
        and order.payment_reference == payment_reference
    ):
        return order
    if order.status == S.CANCELLED:
        raise ApplicationError(
            _("Order %(number)s was cancelled (its stock hold expired); refund the payment.")
            % {"number": order.number},
            code="order_cancelled",
            status_code=409,
        )
    order.payment_reference = payment_reference or order.payment_reference
    order.paid_at = timezone.now()
    _move(
        order,
        S.PAID,
        actor=actor,
        note=_("Payment received"),
        fields=["payment_reference", "paid_at"],
    )
    stock_commit(quantities=_quantities(order))
    # Product rows in pk order, as the stock services lock them: two payments
    # touching the same products in another order would deadlock.
    sold: dict[int, int] = {}
    for product_id, quantity in order.lines.exclude(variant=None).values_list(
        "variant__product_id", "quantity"
    ):
        sold[product_id] = sold.get(product_id, 0) + quantity
    for product_id in sorted(sold):
        Product.objects.filter(pk=product_id).update(
            sales_count=F("sales_count") + sold[product_id]
        )
    publish(
        events.OrderPaid(
            order_id=order.pk,
            number=order.number,
            user_id=order.user_id,
            total=events.money(order.total),
            currency=order.currency,
            product_ids=_product_ids(order),
            sequence=order_next_sequence(order),
            lines=order_event_lines(order),
            adjustments=adjustment_lines(order),
            shipping=events.money(shipping_paid(order)),
        )
    )
    return order


@transaction.atomic
def order_cancel(*, order_id: int, actor=None, reason: str = "") -> Order:
    """Unpaid: the hold is released. Paid: the units go back on the shelf and
    the money kept is flagged as `refund_due` (return it with order_refund)."""
    order = _lock(order_id)
    was_paid = order.status != S.PENDING_PAYMENT
    fields = []
    if was_paid:
        order.refund_due = order.total - order.refunded_total
        fields = ["refund_due"]
    _move(order, S.CANCELLED, actor=actor, note=reason or _("Cancelled"), fields=fields)
    # The coupon row before the variant rows: the order checkout locks them in.
    if order.coupon_id:
        CouponRedemption.objects.filter(order=order).delete()
        Coupon.objects.filter(pk=order.coupon_id, times_used__gt=0).update(
            times_used=F("times_used") - 1
        )
    if was_paid:
        back = stock_restock(quantities=_quantities(order))
    else:
        back = stock_release(quantities=_quantities(order))
    _announce_back_in_stock(back)
    adjustments_release(order=order, reason="cancelled")
    publish(
        events.OrderCancelled(
            order_id=order.pk,
            user_id=order.user_id,
            was_paid=was_paid,
            sequence=order_next_sequence(order),
            lines=order_event_lines(order),
            adjustments=adjustment_lines(order),
        )
    )
    if order.refund_due:
        _publish_refund_due(order, amount=order.refund_due, reason=_("Paid order cancelled"))
    return order


def _publish_refund_due(order: Order, *, amount: Decimal, reason: str) -> None:
    publish(
        events.OrderRefundDue(
            order_id=order.pk,
            number=order.number,
            user_id=order.user_id,
            amount=events.money(amount),
            currency=order.currency,
            reason=str(reason),
            sequence=order_next_sequence(order),
        )
    )


@transaction.atomic
def payment_record_after_cancel(
    *, order_id: int, gateway: str, reference: str, amount: Decimal, actor=None
) -> Order:
    """Money arrived for an order that was already cancelled (its stock hold
    expired before a delayed card confirmation or a bank transfer came in).

    The payment is recorded as received with status REFUND_DUE, the order
    stays cancelled and is flagged with `refund_due`, its history says so and
    staff are told (OrderRefundDue). No stock is taken: the hold is gone and
    the units may have been sold since. Recording the same reference again
    changes nothing."""
    order = _lock(order_id)
    if order.status != S.CANCELLED:
        raise ApplicationError(
            _("Order %(number)s is not cancelled.") % {"number": order.number},
            code="invalid_transition",
            status_code=409,
        )
    note = _("Payment of %(amount)s (%(reference)s) arrived after cancellation: refund due.") % {
        "amount": amount,
        "reference": reference or gateway,
    }
    _record_refund_due(
        order,
        gateway=gateway,
        reference=reference,
        amount=amount,
        message=_("Received after the order was cancelled; refund it."),
        note=note,
        actor=actor,
    )
    return order


@transaction.atomic
def payment_record_excess(
    *, order_id: int, gateway: str, reference: str, amount: Decimal, actor=None
) -> Order:
    """A second capture for an order that is already paid (a delayed card
    confirmation arriving after the shopper paid another way, a gateway's
    double charge): the money is the shopper's. It is recorded as REFUND_DUE,
    the order is flagged with `refund_due` and staff are told; the order
    itself, its stock and its payment stay as they are. Recording the same
    reference again changes nothing."""
    order = _lock(order_id)
    if order.status in {S.PENDING_PAYMENT, S.CANCELLED}:
        raise ApplicationError(
            _("Order %(number)s is not paid.") % {"number": order.number},
            code="invalid_transition",
            status_code=409,
        )
    note = _(
        "A second payment of %(amount)s (%(reference)s) was captured for a paid order: refund due."
    ) % {"amount": amount, "reference": reference or gateway}
    _record_refund_due(
        order,
        gateway=gateway,
        reference=reference,
        amount=amount,
        message=_("A second payment for a paid order; refund it."),
        note=note,
        actor=actor,
    )
    return order


def _record_refund_due(
    order: Order, *, gateway: str, reference: str, amount: Decimal, message, note, actor
) -> None:
    payment = order.payments.filter(reference=reference).first() if reference else None
    if payment is not None and payment.status in {
        Payment.Status.REFUND_DUE,
        Payment.Status.REFUNDED,
    }:
        return
    if payment is None:
        # Bank transfers start with a pending payment that has no reference.
        payment = order.payments.filter(
            gateway=gateway, status=Payment.Status.PENDING, reference=""
        ).first()
    if payment is None:
        payment = Payment(order=order, gateway=gateway)
    payment.reference = reference
    payment.amount = amount
    payment.status = Payment.Status.REFUND_DUE
    payment.message = str(message)[:255]
    payment.save()
    # The order's columns cannot hold more than its total: a payment beyond
    # that stays visible as its own REFUND_DUE payment row.
    order.refund_due = min(order.refund_due + amount, order.total - order.refunded_total)
    order.save(update_fields=["refund_due", "updated_at"])
    _history(order, note=note, actor=actor)
    _publish_refund_due(order, amount=amount, reason=note)


@transaction.atomic
def order_refund_due_settle(*, order_id: int, actor=None, reason: str = "") -> Order:
    """Staff returned the money a paid order was charged twice: its
    REFUND_DUE payments become REFUNDED and nothing is due any more. The
    order's own payment, status and refunded total are untouched (on a
    cancelled order, use order_refund: it returns the order's own money)."""
    order = _lock(order_id)
    if order.status == S.CANCELLED or not order.refund_due:
        raise ApplicationError(
            _("Order %(number)s has no second payment to return.") % {"number": order.number},
            code="invalid_transition",
            status_code=409,
        )
    order.payments.filter(status=Payment.Status.REFUND_DUE).update(
        status=Payment.Status.REFUNDED, updated_at=timezone.now()
    )
    returned = order.refund_due
    order.refund_due = Decimal("0")
    order.save(update_fields=["refund_due", "updated_at"])
    _history(
        order,
        note=reason or _("Second payment of %(amount)s returned") % {"amount": returned},
        actor=actor,
    )
    return order


def _announce_back_in_stock(variant_ids: list[int]) -> None:
    for variant in Variant.objects.filter(pk__in=variant_ids):
        publish(events.VariantBackInStock(variant_id=variant.pk, product_id=variant.product_id))


@transaction.atomic
def order_fulfil(*, order_id: int, carrier: str, tracking_number: str, actor=None) -> Order:
    order = _lock(order_id)
    order.carrier = carrier.strip()[:60]
    order.tracking_number = tracking_number.strip()[:80]
    _move(
        order,
        S.FULFILLED,
        actor=actor,
        note=f"{order.carrier} {order.tracking_number}".strip(),
        fields=["carrier", "tracking_number"],
    )
    publish(
        events.OrderFulfilled(
            order_id=order.pk,
            user_id=order.user_id,
            carrier=order.carrier,
            tracking_number=order.tracking_number,
            sequence=order_next_sequence(order),
        )
    )
    return order


@transaction.atomic
def order_mark_delivered(*, order_id: int, actor=None) -> Order:
    order = _lock(order_id)
    _move(order, S.DELIVERED, actor=actor)
    publish(
        events.OrderDelivered(
            order_id=order.pk, user_id=order.user_id, sequence=order_next_sequence(order)
        )
    )
    return order


@transaction.atomic
def order_complete(*, order_id: int, actor=None) -> Order:
    order = _lock(order_id)
    _move(order, S.COMPLETED, actor=actor)
    publish(
        events.OrderCompleted(
            order_id=order.pk, user_id=order.user_id, sequence=order_next_sequence(order)
        )
    )
    return order


@transaction.atomic
def order_refund(
    *, order_id: int, amount: Decimal | None = None, actor=None, reason: str = ""
) -> Order:
    """Refund part or all of a paid order; a full refund ends the order. On a
    cancelled order, refund what it still holds (`refund_due`)."""
    order = _lock(order_id)
    cancelled = order.status == S.CANCELLED
    if order.status in {S.PENDING_PAYMENT, S.REFUNDED} or (cancelled and not order.refund_due):
        raise ApplicationError(
            _("Only paid orders can be refunded."), code="invalid_transition", status_code=409
        )
    remaining = order.refund_due if cancelled else order.total - order.refunded_total
    if not cancelled and order.refund_due:
        # The second payment's money first: the order's columns cannot say
        # both "all of it refunded" and "a second payment still due".
        raise ApplicationError(
            _("Return the second payment for this order first (“Settle refund due”)."),
            code="refund_due_first",
            status_code=409,
        )
    try:
        # str() first: Decimal(0.1) would carry the float's binary error.
        amount = remaining if amount is None else Decimal(str(amount))
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite() or amount != quantize(amount):
        raise ApplicationError(_("Enter the refund as an amount of money."), code="invalid_amount")
    if amount <= 0 or amount > remaining:
        raise ApplicationError(
            _("Refund between 0 and %(remaining)s.") % {"remaining": remaining},
            code="invalid_amount",
        )
    order.refunded_total += amount
    note = reason or _("Refunded %(amount)s") % {"amount": amount}
    if cancelled:
        order.refund_due -= amount
        full = not order.refund_due
        if full:
            order.payments.filter(
                status__in=[Payment.Status.REFUND_DUE, Payment.Status.SUCCEEDED]
            ).update(status=Payment.Status.REFUNDED, updated_at=timezone.now())
    else:
        full = order.refunded_total == order.total
    if full and not cancelled:
        _move(order, S.REFUNDED, actor=actor, note=note, fields=["refunded_total"])
    else:
        order.save(update_fields=["refunded_total", "refund_due", "updated_at"])
        _history(order, note=note, actor=actor)
    if not cancelled:
        # A cancelled order gave its adjustments back when it was cancelled.
        adjustments_release(order=order, refunded=None if full else amount, reason="refunded")
    publish(
        events.OrderRefunded(
            order_id=order.pk,
            user_id=order.user_id,
            amount=events.money(amount),
            refunded_total=events.money(order.refunded_total),
            full=full,
            sequence=order_next_sequence(order),
            lines=order_event_lines(order),
            adjustments=adjustment_lines(order),
        )
    )
    return order


def orders_expire_unpaid(*, limit: int = 200) -> int:
    """Cancel unpaid orders whose stock hold ran out (beat task)."""
    expired = list(
        Order.objects.filter(status=S.PENDING_PAYMENT, reserved_until__lt=timezone.now())
        .order_by("reserved_until")
        .values_list("pk", flat=True)[:limit]
    )
    count = 0
    for order_id in expired:
        with transaction.atomic():
            order = (
                Order.objects.select_for_update(skip_locked=True)
                .filter(pk=order_id, status=S.PENDING_PAYMENT)
                .first()
            )
            if order is None:
                continue
            order_cancel(order_id=order.pk, reason=_("Payment did not arrive in time"))
            count += 1
    return count


def _live_payments(order: Order):
    """Payments that have taken or may still take the shopper's money: a
    capture, or a payment a gateway is still confirming (bank transfers wait
    without a reference and do not count: the order may be paid another way)."""
    return order.payments.filter(
        Q(status=Payment.Status.SUCCEEDED) | (Q(status=Payment.Status.PENDING) & ~Q(reference=""))
    )


@transaction.atomic
def payment_start(*, order: Order, data: dict, first_only: bool = False) -> PaymentResult | None:
    """Run the order's gateway. A success pays the order at once.

    Decided under the order's row lock, so at most one payment is live per
    order: refused (409 payment_in_progress) while one is being confirmed.
    `first_only` (a checkout's replay) starts nothing, and returns None, if
    any payment was ever started for the order or it is no longer waiting."""
    order = _lock(order.pk)
    if first_only and (order.status != S.PENDING_PAYMENT or order.payments.exists()):
        return None
    if order.status != S.PENDING_PAYMENT:
        raise ApplicationError(
            _("This order is not waiting for payment."), code="not_payable", status_code=409
        )
    if _live_payments(order).exists():
        raise ApplicationError(
            _("A payment for this order is still being confirmed; wait for it to finish."),
            code="payment_in_progress",
            status_code=409,
        )
    gateway = payments.get_gateway(order.payment_gateway)
    result = gateway.start(order=order, data=data)
    Payment.objects.create(
        order=order,
        gateway=gateway.code,
        reference=result.reference,
        amount=order.total,
        status={"succeeded": Payment.Status.SUCCEEDED, "failed": Payment.Status.FAILED}.get(
            result.status, Payment.Status.PENDING
        ),
        message=str(result.message)[:255],
    )
    if result.status == "succeeded":
        order_mark_paid(order_id=order.pk, payment_reference=result.reference)
    return result


@transaction.atomic
def order_switch_payment_gateway(*, order_id: int, gateway_code: str, actor=None) -> Order:
    """Let an unpaid order be paid another way (a declined card, then a bank
    transfer). Refused while a payment is still being confirmed: its money
    may yet arrive through the old gateway.

    The stock stays held as long as the new gateway would have held it from
    the order's placing, never shorter than now: switching back and forth
    cannot stretch a hold. Choosing the current gateway changes nothing."""
    gateway = payments.get_gateway(gateway_code)
    order = _lock(order_id)
    if order.status != S.PENDING_PAYMENT:
        raise ApplicationError(
            _("This order is not waiting for payment."), code="not_payable", status_code=409
        )
    if order.payment_gateway == gateway.code:
        return order
    if _live_payments(order).exists():
        raise ApplicationError(
            _("A payment for this order is still being confirmed; wait for it to finish."),
            code="payment_in_progress",
            status_code=409,
        )
    try:
        previous = payments.get_gateway(order.payment_gateway).name
    except ApplicationError:
        previous = order.payment_gateway
    order.payment_gateway = gateway.code
    hold = order.created_at + timedelta(minutes=gateway.reservation_minutes)
    if order.reserved_until is None or hold > order.reserved_until:
        order.reserved_until = hold
    order.save(update_fields=["payment_gateway", "reserved_until", "updated_at"])
    _history(
        order,
        note=_("Payment method changed from %(old)s to %(new)s")
        % {"old": previous, "new": gateway.name},
        actor=actor,
    )
    return order


def payment_webhook_handle(*, gateway_code: str, body: bytes, headers) -> str:
    """Verify, then apply a gateway notification once. Returns "processed",
    "duplicate" or "ignored". Raises InvalidWebhook on a bad signature."""
    gateway = payments.get_gateway(gateway_code)
    notice = gateway.parse_webhook(body=body, headers=headers)
    with transaction.atomic():
        try:
            # Only the receipt's unique constraint means "seen before"; an
            # IntegrityError further down is a bug and must not pass as a replay.
            with transaction.atomic():
                receipt = WebhookReceipt.objects.create(
                    gateway=gateway.code,
                    event_id=notice.event_id,
                    payload={
                        "order": notice.order_number,
                        "status": notice.status,
                        "reference": notice.reference,
                        "amount": str(notice.amount),
                    },
                )
        except IntegrityError:
            return "duplicate"
        order = _lock_by_number(notice.order_number)
        refusal = _webhook_refusal(order, gateway_code=gateway.code, amount=notice.amount)
        if refusal:
            # Kept as a receipt (a replay stays a duplicate), marked so staff
            # can see why nothing happened.
            receipt.payload = {**receipt.payload, "outcome": "ignored", "reason": refusal}
            receipt.save(update_fields=["payload"])
            logger.warning(
                "webhook ignored",
                extra={"gateway": gateway.code, "order": notice.order_number, "reason": refusal},
            )
            return "ignored"
        if (
            notice.status == "succeeded"
            and order.status not in {S.PENDING_PAYMENT, S.CANCELLED}
            and notice.reference != order.payment_reference
        ):
            payment_record_excess(
                order_id=order.pk,
                gateway=gateway.code,
                reference=notice.reference,
                amount=notice.amount,
            )
            return "processed"
        if notice.status == "succeeded" and order.status == S.CANCELLED:
            payment_record_after_cancel(
                order_id=order.pk,
                gateway=gateway.code,
                reference=notice.reference,
                amount=notice.amount,
            )
            return "processed"
        Payment.objects.filter(order=order, reference=notice.reference).update(
            status=Payment.Status.SUCCEEDED
            if notice.status == "succeeded"
            else Payment.Status.FAILED
        )
        if notice.status == "succeeded" and order.status == S.PENDING_PAYMENT:
            order_mark_paid(order_id=order.pk, payment_reference=notice.reference)
        return "processed"


def _webhook_refusal(order: Order | None, *, gateway_code: str, amount: Decimal) -> str:
    """Why a verified notice may not touch `order`, or "" when it may.

    A valid signature proves only which gateway sent the notice: it may pay
    an order of that gateway alone, or one gateway's webhook (a test card
    gateway whose secret is known, say) could pay bank transfer orders."""
    if order is None:
        return "unknown_order"
    if order.payment_gateway != gateway_code:
        return "gateway_mismatch"
    if amount != order.total:
        return "amount_mismatch"
    return ""


def _lock_by_number(number: str) -> Order | None:
    return Order.objects.select_for_update().filter(number=number).first()
