"""The shopper's own pages: orders, address book, wishlist, stock alerts.
Everything is looked up through its owner, so someone else's object is a 404."""

from __future__ import annotations

import functools

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Sum
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from accounts.network import client_ip
from core.exceptions import ApplicationError
from shop import payments
from shop.context_processors import cart_to_fill
from shop.forms import AddressForm, StockAlertForm
from shop.models import (
    Address,
    Order,
    OrderHistory,
    OrderLine,
    Product,
    ProductImage,
    Variant,
    WishlistItem,
)
from shop.payments.bank_transfer import transfer_instructions
from shop.services import addresses as address_services
from shop.services.cart import cart_add
from shop.services.orders_claim import (
    LinkCheck,
    order_access_token_check,
    order_link_max_age_days,
)
from shop.services.wishlist import (
    AlertOutcome,
    stock_alert_confirm,
    stock_alert_subscribe,
    wishlist_add,
    wishlist_remove,
)

SESSION_ORDERS = "shop_orders"
ORDERS_PER_PAGE = 10


# ---------------------------------------------------------------- orders
def remember_order(request, order: Order) -> None:
    """A guest sees the orders placed in this browser session."""
    numbers = [n for n in request.session.get(SESSION_ORDERS, []) if n != order.number]
    request.session[SESSION_ORDERS] = [*numbers, order.number][-20:]


class OrderLinkExpired(Http404):
    """A genuine order link past its age: a 404 wherever it is not caught,
    an explanation where `explains_expired_links` wraps the view."""

    def __init__(self, number: str) -> None:
        super().__init__(number)
        self.number = number


def explains_expired_links(view):
    """An expired order link gets a page saying what happened and how to see
    the order now (sign in with its address), with status 410."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except OrderLinkExpired as expired:
            return render(
                request,
                "shop/orders/link_expired.html",
                {"number": expired.number, "max_age_days": order_link_max_age_days()},
                status=410,
            )

    return wrapper


def accessible_order(request, number: str) -> Order:
    """The order if this request may see it: its owner, the session that
    placed it, or the holder of its signed link (for its age; an expired one
    raises OrderLinkExpired). Anyone else gets a 404."""
    order = (
        Order.objects.select_related("shipping_method")
        .prefetch_related(
            Prefetch("lines", queryset=OrderLine.objects.order_by("pk")),
            Prefetch("history", queryset=OrderHistory.objects.order_by("created_at", "pk")),
        )
        .filter(number=number)
        .first()
    )
    if order is None:
        raise Http404
    user = request.user
    if order.user_id is not None and user.is_authenticated and order.user_id == user.pk:
        return order
    if order.number in request.session.get(SESSION_ORDERS, []):
        return order
    token = request.GET.get("key") or ""
    check = order_access_token_check(number=order.number, token=token) if token else None
    if check is LinkCheck.VALID:
        return order
    if check is LinkCheck.EXPIRED:
        raise OrderLinkExpired(order.number)
    raise Http404


def payment_instructions(order: Order) -> dict:
    """How to pay an order that waits for a bank transfer (the order email
    shows the same)."""
    return transfer_instructions(order)


def order_context(request, order: Order) -> dict:
    try:
        gateway = payments.get_gateway(order.payment_gateway)
    except ApplicationError:
        gateway = None
    last_payment = order.payments.order_by("-created_at", "-pk").first()
    pending = order.status == Order.Status.PENDING_PAYMENT
    return {
        "order": order,
        "lines": list(order.lines.all()),
        "history": [
            {"entry": entry, "label": entry.note or Order.Status(entry.to_status).label}
            for entry in order.history.all()
        ],
        "gateway": gateway,
        "instructions": payment_instructions(order),
        "last_payment": last_payment,
        "can_retry_payment": bool(pending and gateway and gateway.collects_card),
        "awaiting_confirmation": bool(
            pending and last_payment and last_payment.status == last_payment.Status.PENDING
        ),
        "payment_failed": bool(
            pending and last_payment and last_payment.status == last_payment.Status.FAILED
        ),
        "access_key": request.GET.get("key", ""),
        "prices_include_tax": settings.SHOP_PRICES_INCLUDE_TAX,
    }


@login_required
@require_GET
def order_list(request):
    orders = (
        Order.objects.filter(user=request.user)
        .annotate(item_count=Sum("lines__quantity"), line_count=Count("lines"))
        .order_by("-created_at", "-pk")
    )
    page = Paginator(orders, ORDERS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "shop/orders/list.html", {"page": page, "orders": page.object_list})


@never_cache
@require_GET
@explains_expired_links
def order_detail(request, number: str):
    order = accessible_order(request, number)
    return render(request, "shop/orders/detail.html", order_context(request, order))


@require_POST
@explains_expired_links
def order_reorder(request, number: str):
    """Put the order's still-buyable items back in the cart, as many of
    each as the shelf allows."""
    order = accessible_order(request, number)
    lines = [line for line in order.lines.all() if line.variant_id]
    variants = Variant.objects.select_related("product").in_bulk(
        [line.variant_id for line in lines]
    )
    cart = cart_to_fill(request)
    added, skipped = 0, []
    for line in lines:
        variant = variants.get(line.variant_id)
        quantity = min(line.quantity, variant.available if variant else 0)
        if quantity < 1:
            skipped.append(line.product_name)
            continue
        try:
            cart_add(cart=cart, variant_id=line.variant_id, quantity=quantity, user=request.user)
        except ApplicationError:
            skipped.append(line.product_name)
        else:
            added += 1
    if added:
        messages.success(
            request, _("The items of order %(number)s are in your cart.") % {"number": order.number}
        )
    if skipped:
        messages.warning(
            request,
            _("No longer available: %(items)s.") % {"items": ", ".join(skipped)},
        )
    return redirect("shop:cart")


# --------------------------------------------------------- address book
@login_required
@require_GET
def address_list(request):
    return render(
        request,
        "shop/account/addresses.html",
        {"addresses": Address.objects.filter(user=request.user)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def address_edit(request, address_id: int | None = None):
    address = get_object_or_404(Address, pk=address_id, user=request.user) if address_id else None
    form = AddressForm(request.POST or None, instance=address)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = {name: form.cleaned_data.get(name) for name in address_services.ADDRESS_FIELDS}
            try:
                if address is None:
                    address_services.address_create(
                        user=request.user, data=data, is_default=form.cleaned_data["is_default"]
                    )
                else:
                    address_services.address_update(
                        user=request.user,
                        address_id=address.pk,
                        data=data,
                        is_default=form.cleaned_data["is_default"],
                    )
            except ApplicationError as exc:
                form.add_error(None, exc.message)
                status = exc.status_code
            else:
                messages.success(request, _("Your address book was saved."))
                return redirect("shop:address_list")
        else:
            status = 400
    return render(
        request,
        "shop/account/address_form.html",
        {"form": form, "address": address},
        status=status,
    )


@login_required
@require_POST
def address_delete(request, address_id: int):
    try:
        address_services.address_delete(user=request.user, address_id=address_id)
    except ApplicationError as exc:
        if exc.status_code == 404:
            raise Http404 from exc
        raise
    messages.success(request, _("The address was deleted."))
    return redirect("shop:address_list")


@login_required
@require_POST
def address_make_default(request, address_id: int):
    try:
        address_services.address_set_default(user=request.user, address_id=address_id)
    except ApplicationError as exc:
        if exc.status_code == 404:
            raise Http404 from exc
        raise
    messages.success(request, _("Your default address was changed."))
    return redirect("shop:address_list")


# -------------------------------------------------------------- wishlist
def _back(request, default: str) -> str:
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _parse_id(value) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**63 else None


def _wishlist_rows(user) -> list[dict]:
    items = (
        WishlistItem.objects.filter(user=user)
        .select_related("product")
        .prefetch_related(
            Prefetch("product__images", queryset=ProductImage.objects.order_by("position", "pk"))
        )
    )
    rows = []
    for item in items:
        images = list(item.product.images.all())
        rows.append(
            {
                "item": item,
                "product": item.product,
                "thumb": images[0].thumb.url if images and images[0].thumb else "",
            }
        )
    return rows


@login_required
@require_GET
def wishlist(request):
    return render(request, "shop/wishlist/list.html", {"rows": _wishlist_rows(request.user)})


def _login_first(request, default: str) -> HttpResponse:
    """An anonymous POST (a page left open after logging out): log in, then
    back to the page the form was on, not to this POST-only URL."""
    url = redirect_to_login(_back(request, default)).url
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


def _wishlist_toggle(request, product, *, in_wishlist: bool) -> HttpResponse:
    """The product page's button, swapped in place by htmx."""
    return render(
        request, "shop/wishlist/_toggle.html", {"product": product, "in_wishlist": in_wishlist}
    )


@require_POST
def wishlist_add_view(request):
    if not request.user.is_authenticated:
        return _login_first(request, reverse("shop:wishlist"))
    product_id = _parse_id(request.POST.get("product_id"))
    if product_id is None:
        messages.error(request, _("Choose a product."))
        return render(
            request,
            "shop/wishlist/list.html",
            {"rows": _wishlist_rows(request.user)},
            status=400,
        )
    try:
        item, created = wishlist_add(user=request.user, product_id=product_id)
    except ApplicationError as exc:
        raise Http404 from exc
    if request.htmx:
        return _wishlist_toggle(request, item.product, in_wishlist=True)
    messages.success(
        request,
        _("Saved to your wishlist.") if created else _("This is already in your wishlist."),
    )
    return redirect(_back(request, reverse("shop:wishlist")))


@require_POST
def wishlist_remove_view(request, product_id: int):
    if not request.user.is_authenticated:
        return _login_first(request, reverse("shop:wishlist"))
    if not wishlist_remove(user=request.user, product_id=product_id):
        raise Http404
    if request.htmx:
        product = get_object_or_404(Product, pk=product_id)
        return _wishlist_toggle(request, product, in_wishlist=False)
    messages.success(request, _("Removed from your wishlist."))
    return redirect(_back(request, reverse("shop:wishlist")))


# ------------------------------------------------------ back-in-stock alerts
def _product_url(variant: Variant | None) -> str:
    try:
        return variant.product.get_absolute_url() if variant else reverse("shop:cart")
    except NoReverseMatch:
        return reverse("home")


ALERT_MESSAGES = {
    AlertOutcome.ACTIVE: _lazy("We will email you when it is back in stock."),
    AlertOutcome.ALREADY_ACTIVE: _lazy(
        "You are already on the list: we will email you when it is back."
    ),
    AlertOutcome.CONFIRMATION_SENT: _lazy(
        "Check your inbox: follow the link we sent to turn the alert on."
    ),
}


@require_POST
def stock_alert_create(request):
    data = request.POST.copy()
    if request.user.is_authenticated and not data.get("email"):
        data["email"] = request.user.email
    form = StockAlertForm(data)
    variant = None
    if form.is_valid():
        variant = (
            Variant.objects.select_related("product")
            .filter(pk=form.cleaned_data["variant_id"])
            .first()
        )
        try:
            _alert, outcome = stock_alert_subscribe(
                variant_id=form.cleaned_data["variant_id"],
                email=form.cleaned_data["email"],
                user=request.user,
                client_ip=client_ip(request),
            )
        except ApplicationError as exc:
            message, status = exc.message, exc.status_code
        else:
            messages.success(request, ALERT_MESSAGES[outcome])
            return redirect(_back(request, _product_url(variant)))
    else:
        message, status = _("Enter a valid email address."), 400
    return render(
        request,
        "shop/account/stock_alert.html",
        {
            "form": form,
            "message": message,
            "variant": variant,
            "back": _back(request, _product_url(variant)),
        },
        status=status,
    )


@never_cache
@require_http_methods(["GET", "POST"])
def stock_alert_confirm_view(request, token: str):
    """The link in the confirmation mail. GET only asks (mail scanners
    follow links); the button's POST turns the alert on."""
    if request.method == "GET":
        return render(request, "shop/account/stock_alert_confirm.html", {})
    try:
        alert = stock_alert_confirm(token=token)
    except ApplicationError as exc:
        return render(
            request,
            "shop/account/stock_alert_confirm.html",
            {"message": exc.message},
            status=exc.status_code,
        )
    return render(
        request, "shop/account/stock_alert_confirm.html", {"alert": alert, "confirmed": True}
    )


urlpatterns = [
    path("orders/", order_list, name="order_list"),
    path("orders/<str:number>/", order_detail, name="order_detail"),
    path("orders/<str:number>/reorder/", order_reorder, name="order_reorder"),
    path("addresses/", address_list, name="address_list"),
    path("addresses/new/", address_edit, name="address_create"),
    path("addresses/<int:address_id>/edit/", address_edit, name="address_edit"),
    path("addresses/<int:address_id>/delete/", address_delete, name="address_delete"),
    path("addresses/<int:address_id>/default/", address_make_default, name="address_default"),
    path("wishlist/", wishlist, name="wishlist"),
    path("wishlist/add/", wishlist_add_view, name="wishlist_add"),
    path("wishlist/<int:product_id>/remove/", wishlist_remove_view, name="wishlist_remove"),
    path("stock-alerts/", stock_alert_create, name="stock_alert_create"),
    path(
        "stock-alerts/confirm/<str:token>/",
        stock_alert_confirm_view,
        name="stock_alert_confirm",
    ),
]
