"""Cart, checkout and payment pages. Views parse input, call a service and
render; a refused request shows the service's message with its 4xx status
and changes nothing."""

from __future__ import annotations

import json
import logging
from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.db.models import Prefetch
from django.http import HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.network import client_ip
from core.exceptions import ApplicationError
from shop import payments, selectors
from shop.context_processors import cart_item_count, cart_to_fill, current_cart
from shop.forms import CartAddForm, CartLineForm, CheckoutForm, PaymentRetryForm, first_error
from shop.models import Address, Cart, Order, ProductImage, ShippingMethod
from shop.payments.base import InvalidWebhook
from shop.ratelimit import rate_limits_consume
from shop.services.addresses import address_save_from_checkout
from shop.services.adjustments import adjustment_fields
from shop.services.cart import (
    cart_add,
    cart_lines_purchasable_check,
    cart_remove,
    cart_set_quantity,
)
from shop.services.checkout import (
    COUPON_CODES,
    CheckoutSummary,
    checkout_place_order,
    checkout_summary,
)
from shop.services.orders import (
    order_switch_payment_gateway,
    payment_start,
    payment_webhook_handle,
)
from shop.services.pricing import quote_build
from shop.services.stock import SoldOut
from shop.views.account import (
    accessible_order,
    explains_expired_links,
    order_context,
    remember_order,
)

logger = logging.getLogger(__name__)

CART_UPDATED_EVENT = "shop:cart-updated"


# ------------------------------------------------------------------ cart
def _cart_lines(cart: Cart | None) -> list:
    if cart is None:
        return []
    return list(
        cart.lines.select_related("variant__product").prefetch_related(
            Prefetch(
                "variant__product__images",
                queryset=ProductImage.objects.order_by("position", "pk"),
            )
        )
    )


def _thumb_url(product) -> str:
    images = list(product.images.all())  # prefetched
    if images and images[0].thumb:
        return images[0].thumb.url
    return ""


def cart_context(request, *, cart: Cart | None = None, error: str = "") -> dict:
    """The cart page. A line the shopper may no longer buy (unpublished or
    withdrawn since it was added, or open early no more) stays in the cart,
    marked, out of the subtotal, and blocks checkout until it is removed: a
    page view never deletes what the shopper chose, and the item may come
    back (a product unpublished for a fix)."""
    cart = cart if cart is not None else current_cart(request)
    lines = _cart_lines(cart)
    purchasable = selectors.variants_purchasable(
        variants=[line.variant for line in lines], user=request.user
    )
    buyable_lines = [line for line in lines if line.variant_id in purchasable]
    quote = quote_build(
        lines=[(line.variant, line.quantity) for line in buyable_lines],
        shipping_method=None,
        coupon=None,
        user=request.user,
    )
    quoted_by_line = dict(zip((line.pk for line in buyable_lines), quote.lines, strict=True))
    rows = []
    for line in lines:
        variant = line.variant
        quoted = quoted_by_line.get(line.pk)
        rows.append(
            {
                "line": line,
                "variant": variant,
                "product": variant.product,
                "thumb": _thumb_url(variant.product),
                "unit_price": variant.price,
                "line_total": quoted.line_total if quoted else None,
                "short": line.quantity > variant.available,
                "available": variant.available,
                "buyable": quoted is not None,
            }
        )
    return {
        "rows": rows,
        "subtotal": quote.subtotal,
        "item_count": sum(line.quantity for line in buyable_lines),
        "cart_error": error,
        "can_checkout": bool(rows) and not any(r["short"] or not r["buyable"] for r in rows),
    }


def _safe_next(request, default: str) -> str:
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _with_cart_event(response: HttpResponse, request) -> HttpResponse:
    response["HX-Trigger"] = json.dumps({CART_UPDATED_EVENT: {"count": cart_item_count(request)}})
    return response


def _cart_panel(request, *, status: int = 200, error: str = "", notice: str = "") -> HttpResponse:
    context = cart_context(request, error=error)
    context["cart_notice"] = notice
    response = render(request, "shop/cart/_cart.html", context, status=status)
    return _with_cart_event(response, request)


def _cart_refusal(request, message: str, status: int) -> HttpResponse:
    """A refused cart action: the cart as it is, the reason, a 4xx."""
    if request.htmx:
        response = _cart_panel(request, status=status, error=message)
        # The panel replaces the panel, whichever element asked.
        response["HX-Retarget"] = "#cart-panel"
        response["HX-Reswap"] = "outerHTML"
        return response
    messages.error(request, message)
    return render(request, "shop/cart/detail.html", cart_context(request), status=status)


@never_cache
@require_GET
def cart_detail(request):
    return render(request, "shop/cart/detail.html", cart_context(request))


@require_POST
def cart_add_view(request):
    form = CartAddForm(request.POST)
    if not form.is_valid():
        return _cart_add_refusal(request, first_error(form), 400)
    cart = cart_to_fill(request)
    try:
        line = cart_add(
            cart=cart,
            variant_id=form.cleaned_data["variant_id"],
            quantity=form.cleaned_data["quantity"],
            user=request.user,
        )
    except ApplicationError as exc:
        return _cart_add_refusal(request, exc.message, exc.status_code)
    message = _("Added %(item)s to your cart.") % {"item": line.variant}
    if request.htmx:
        response = render(
            request,
            "shop/cart/_added.html",
            {"message": message, "count": cart_item_count(request), "ok": True},
        )
        return _with_cart_event(response, request)
    messages.success(request, message)
    return redirect(_safe_next(request, reverse("shop:cart")))


def _cart_add_refusal(request, message: str, status: int) -> HttpResponse:
    if request.htmx:
        return render(
            request,
            "shop/cart/_added.html",
            {"message": message, "count": cart_item_count(request), "ok": False},
            status=status,
        )
    return _cart_refusal(request, message, status)


@require_POST
def cart_line_update(request, line_id: int):
    form = CartLineForm(request.POST)
    if not form.is_valid():
        return _cart_refusal(request, first_error(form), 400)
    cart = current_cart(request)
    if cart is None:
        return _cart_refusal(request, _("That item is not in your cart."), 404)
    try:
        line = cart_set_quantity(
            cart=cart,
            line_id=line_id,
            quantity=form.cleaned_data["quantity"],
            user=request.user,
        )
    except ApplicationError as exc:
        return _cart_refusal(request, exc.message, exc.status_code)
    message = _("Your cart was updated.") if line else _("The item was removed from your cart.")
    if request.htmx:
        return _cart_panel(request, notice=message)
    messages.success(request, message)
    return redirect("shop:cart")


@require_POST
def cart_line_remove(request, line_id: int):
    cart = current_cart(request)
    if cart is None:
        return _cart_refusal(request, _("That item is not in your cart."), 404)
    try:
        cart_remove(cart=cart, line_id=line_id)
    except ApplicationError as exc:
        return _cart_refusal(request, exc.message, exc.status_code)
    message = _("The item was removed from your cart.")
    if request.htmx:
        return _cart_panel(request, notice=message)
    messages.success(request, message)
    return redirect("shop:cart")


# -------------------------------------------------------------- checkout
CART_CODES = {"not_purchasable"}
FIELD_FOR_CODE = {
    "email_required": "email",
    "shipping_invalid": "shipping_method",
    "shipping_required": "shipping_method",
    "address_required": "line1",
    "payment_method_invalid": "payment_method",
    **dict.fromkeys(COUPON_CODES, "coupon_code"),
}
# The submit buttons that only recompute the summary (the coupon's "Apply";
# "Update summary" without JavaScript): nothing is placed or saved.
SUMMARY_ACTIONS = {"apply_coupon", "update_summary"}


def _addresses(request) -> list[Address]:
    if not request.user.is_authenticated:
        return []
    return list(Address.objects.filter(user=request.user))


def _checkout_form(request, data=None) -> CheckoutForm:
    return CheckoutForm(
        data,
        user=request.user,
        addresses=_addresses(request),
        shipping_methods=ShippingMethod.objects.filter(is_active=True),
    )


# Checkout adjustment providers (core.hooks.CHECKOUT_ADJUSTMENTS) read the
# shopper's choice from a form field named "adjustment-<code>".
ADJUSTMENT_FIELD_PREFIX = "adjustment-"


def _adjustment_choices(request) -> dict[str, str]:
    data = request.POST if request.method == "POST" else request.GET
    return {
        name.removeprefix(ADJUSTMENT_FIELD_PREFIX): value[:100]
        for name, value in data.items()
        if name.startswith(ADJUSTMENT_FIELD_PREFIX)
    }


def _adjustment_fields(request, summary: CheckoutSummary) -> list[dict]:
    quote = summary.quote
    taken = sum((adjustment.amount for adjustment in quote.adjustments), Decimal(0))
    return adjustment_fields(
        user=request.user,
        subtotal=quote.subtotal - (quote.discount_total - taken),
        choices=_adjustment_choices(request),
        quoted=quote.adjustments,
        shipping=quote.shipping_total,
    )


def _summary(request, lines: list, data=None) -> CheckoutSummary:
    """The summary for the choices in `data` (the submitted form), or for
    none yet (the first view: the cheapest offered method, no coupon)."""
    data = data or {}
    return checkout_summary(
        lines=[(line.variant, line.quantity) for line in lines],
        user=request.user,
        email=data.get("email") or "",
        shipping_method_id=data.get("shipping_method") or None,
        coupon_code=data.get("coupon_code") or "",
        adjustment_choices=_adjustment_choices(request),
    )


def _summary_context(summary: CheckoutSummary, coupon_errors) -> dict:
    return {
        "summary": summary,
        "quote": summary.quote,
        "shipping": summary.shipping_method,
        "coupon_errors": coupon_errors,
        "prices_include_tax": settings.SHOP_PRICES_INCLUDE_TAX,
    }


def _render_checkout(
    request, form: CheckoutForm, cart: Cart, *, status: int = 200, lines: list | None = None
):
    lines = _cart_lines(cart) if lines is None else lines
    summary = _summary(request, lines, form.data if form.is_bound else None)
    for name, message in summary.errors.items():
        if name not in form.errors:
            form.add_error(name, message)
    context = {
        "form": form,
        "rows": [
            {"quoted": quoted, "thumb": _thumb_url(quoted.variant.product)}
            for quoted in summary.quote.lines
        ],
        "shipping_options": summary.shipping_options,
        "gateways": form.gateways,
        "card_gateways": [code for code, g in form.gateways.items() if g.collects_card],
        "adjustment_fields": _adjustment_fields(request, summary),
        **_summary_context(summary, form["coupon_code"].errors),
    }
    return render(request, "shop/checkout/checkout.html", context, status=status)


@never_cache
@require_POST
def checkout_summary_view(request):
    """The checkout's summary panel for the choices in the posted checkout
    form (htmx swaps it in as the shopper changes them). Always 200: a choice
    that does not apply is shown with its reason, the summary without it."""
    if not request.htmx:
        return redirect("shop:checkout")
    cart = current_cart(request)
    lines = list(cart.lines.select_related("variant__product")) if cart is not None else []
    summary = _summary(request, lines, request.POST)
    coupon_error = summary.errors.get("coupon_code")
    return render(
        request,
        "shop/checkout/_summary.html",
        _summary_context(summary, [coupon_error] if coupon_error else []),
    )


def _guest_checkout_allowed(request, email: str) -> bool:
    """Guest orders mail their confirmation to any address typed in: limited
    per client address and per email (SHOP_RATE_LIMITS; fails open when the
    cache is down). Members order under their own account, unlimited here."""
    if request.user.is_authenticated:
        return True
    return rate_limits_consume(
        hits={"guest_checkout_ip": client_ip(request), "guest_checkout_email": email}
    )


@never_cache
@require_http_methods(["GET", "POST"])
def checkout(request):
    cart = current_cart(request)
    # A POST goes on with an emptied cart: it may be the second click of a
    # submit whose order exists (the service answers with that order).
    if cart is None or (request.method == "GET" and not cart.lines.exists()):
        messages.info(request, _("Your cart is empty."))
        return redirect("shop:cart")

    if request.method == "GET":
        lines = _cart_lines(cart)
        try:
            cart_lines_purchasable_check(lines=lines, user=request.user)
        except ApplicationError as exc:
            messages.error(request, exc.message)
            return redirect("shop:cart")
        return _render_checkout(request, _checkout_form(request), cart, lines=lines)

    form = _checkout_form(request, request.POST)
    if request.POST.get("action") in SUMMARY_ACTIONS:
        # Recompute the summary for the choices; nothing is placed or saved,
        # and what was typed comes back as it was, without errors.
        form.is_valid()
        form.errors.clear()
        coupon_code = (request.POST.get("coupon_code") or "").strip()
        response = _render_checkout(request, form, cart)
        if coupon_code and "coupon_code" in form.errors:
            response.status_code = 400
        return response
    if not form.is_valid():
        return _render_checkout(request, form, cart, status=400)

    data = form.cleaned_data
    if not _guest_checkout_allowed(request, data["email"]):
        form.add_error(
            None,
            _(
                "Too many orders from here in a short time. Wait a while and try "
                "again, or log in to order with your account."
            ),
        )
        return _render_checkout(request, form, cart, status=429)
    shipping = data.get("shipping_method")
    try:
        order = checkout_place_order(
            cart=cart,
            user=request.user,
            email=data["email"],
            shipping_address=form.shipping_address(),
            shipping_method_id=shipping.pk if shipping else None,
            payment_gateway=data["payment_method"],
            coupon_code=data.get("coupon_code") or "",
            idempotency_key=data["idempotency_key"],
            note=data.get("note") or "",
            language=translation.get_language(),
            adjustment_choices=_adjustment_choices(request),
        )
    except SoldOut as exc:
        messages.error(request, exc.message)
        return redirect("shop:cart")
    except ApplicationError as exc:
        if exc.code in CART_CODES:
            # Fixed in the cart (the line is marked there), not in this form.
            messages.error(request, exc.message)
            return redirect("shop:cart")
        field = FIELD_FOR_CODE.get(exc.code)
        form.add_error(field if field in form.fields else None, exc.message)
        return _render_checkout(request, form, cart, status=exc.status_code)

    remember_order(request, order)
    if data.get("save_address") and form.chosen_address() is None and form.shipping_address():
        try:
            address_save_from_checkout(user=request.user, data=form.shipping_address())
        except ApplicationError:
            logger.info("checkout address not saved", extra={"order": order.number})
    return _pay(request, order, card_number=data.get("card_number") or "")


def _pay(request, order: Order, *, card_number: str) -> HttpResponse:
    """Start the payment once; a replayed submit finds the order's payment
    already started and just shows where it stands."""
    complete = redirect("shop:checkout_complete", number=order.number)
    try:
        result = payment_start(order=order, data={"card_number": card_number}, first_only=True)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return complete
    if result is None:
        return complete
    if result.status == "failed":
        # The payment page says it was declined and asks for another card.
        return redirect("shop:order_pay", number=order.number)
    if result.redirect_url:
        return redirect(result.redirect_url)
    return complete


@never_cache
@require_GET
@explains_expired_links
def checkout_complete(request, number: str):
    order = accessible_order(request, number)
    return render(request, "shop/checkout/complete.html", order_context(request, order))


def _order_redirect(name: str, order: Order, access_key: str = "") -> HttpResponse:
    """A redirect to one of the order's pages that keeps a guest's signed link."""
    url = reverse(name, kwargs={"number": order.number})
    return redirect(f"{url}?{urlencode({'key': access_key})}" if access_key else url)


def _other_gateways(order: Order) -> list:
    return [g for g in payments.all_gateways() if g.code != order.payment_gateway]


@never_cache
@require_http_methods(["GET", "POST"])
@explains_expired_links
def order_pay(request, number: str):
    """Retry a declined card on the same pending order, or pay it another way."""
    order = accessible_order(request, number)
    access_key = request.GET.get("key") or ""
    gateway = payments.get_gateway(order.payment_gateway)
    if order.status != Order.Status.PENDING_PAYMENT or not gateway.collects_card:
        return _order_redirect("shop:checkout_complete", order, access_key)
    if request.method == "POST" and request.POST.get("action") == "switch_gateway":
        return _switch_gateway(request, order, access_key)
    form = PaymentRetryForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                result = payment_start(
                    order=order, data={"card_number": form.cleaned_data["card_number"]}
                )
            except ApplicationError as exc:
                messages.error(request, exc.message)
                return _order_redirect("shop:checkout_complete", order, access_key)
            if result.status != "failed":
                if result.redirect_url:
                    return redirect(result.redirect_url)
                return _order_redirect("shop:checkout_complete", order, access_key)
            # Show the reason, never the card number that was typed.
            form = PaymentRetryForm(data={})
            form.is_valid()
            form.errors["card_number"] = form.error_class(
                [result.message or _("The payment did not go through.")]
            )
            status = 402
        else:
            status = 400
    return _render_pay(request, order, form, status=status)


def _render_pay(request, order: Order, form, *, status: int = 200, switch_error: str = ""):
    context = order_context(request, order)
    context["form"] = form
    context["other_gateways"] = _other_gateways(order)
    context["switch_error"] = switch_error
    return render(request, "shop/checkout/pay.html", context, status=status)


def _switch_gateway(request, order: Order, access_key: str) -> HttpResponse:
    """Pay the order with another enabled gateway; a gateway without a card
    form (bank transfer) starts at once and shows its instructions."""
    try:
        order = order_switch_payment_gateway(
            order_id=order.pk,
            gateway_code=request.POST.get("payment_method") or "",
            actor=request.user,
        )
        gateway = payments.get_gateway(order.payment_gateway)
        if gateway.collects_card:
            return _order_redirect("shop:order_pay", order, access_key)
        result = payment_start(order=order, data={})
    except ApplicationError as exc:
        order = accessible_order(request, order.number)
        if order.status != Order.Status.PENDING_PAYMENT:
            messages.error(request, exc.message)
            return _order_redirect("shop:checkout_complete", order, access_key)
        return _render_pay(
            request,
            order,
            PaymentRetryForm(),
            status=exc.status_code,
            switch_error=exc.message,
        )
    messages.success(
        request, _("You will pay this order by %(method)s.") % {"method": gateway.name}
    )
    if result.redirect_url:
        return redirect(result.redirect_url)
    return _order_redirect("shop:checkout_complete", order, access_key)


# --------------------------------------------------------------- webhook
@csrf_exempt
@require_POST
def payment_webhook(request, gateway: str):
    try:
        outcome = payment_webhook_handle(
            gateway_code=gateway, body=request.body, headers=request.headers
        )
    except InvalidWebhook:
        return HttpResponseBadRequest("invalid webhook")
    except ApplicationError as exc:
        if exc.code == "payment_method_invalid":
            return JsonResponse({"detail": exc.message, "code": exc.code}, status=404)
        # The order cannot take this notice in its state: acknowledge so the
        # gateway stops retrying; the log is the trail. (Money for a
        # cancelled order is not refused: the service flags it refund_due.)
        logger.warning("webhook refused", extra={"gateway": gateway, "code": exc.code})
        return JsonResponse({"status": "refused", "detail": exc.message})
    return JsonResponse({"status": outcome})


urlpatterns = [
    path("cart/", cart_detail, name="cart"),
    path("cart/add/", cart_add_view, name="cart_add"),
    path("cart/lines/<int:line_id>/", cart_line_update, name="cart_update"),
    path("cart/lines/<int:line_id>/remove/", cart_line_remove, name="cart_remove"),
    path("checkout/", checkout, name="checkout"),
    path("checkout/summary/", checkout_summary_view, name="checkout_summary"),
    path("checkout/complete/<str:number>/", checkout_complete, name="checkout_complete"),
    path("orders/<str:number>/pay/", order_pay, name="order_pay"),
    path("payments/<str:gateway>/webhook/", payment_webhook, name="payment_webhook"),
]
