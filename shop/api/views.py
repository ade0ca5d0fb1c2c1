"""The shop's REST API: catalog, cart, checkout, orders and wishlist.

Views parse input and call the same selectors and services as the web
pages; prices always come from the database, never from the request."""

from __future__ import annotations

import contextlib
import json
import re
from decimal import Decimal

from django.db import transaction
from django.db.models import Prefetch, Sum
from django.http import Http404
from django.utils import translation
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_serializer,
)
from rest_framework import generics, serializers, status
from rest_framework.parsers import JSONParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.schema import AUTH_ERRORS, NOT_FOUND, WRITE_ERRORS, Error, ValidationError
from core.api.serializers import PatternField, StrictInputSerializer
from core.exceptions import ApplicationError
from shop import payments, selectors
from shop.api import examples as ex
from shop.api.serializers import (
    AddressSerializer,
    CategoryRefSerializer,
    OrderSerializer,
    OrderSummarySerializer,
    ProductCardSerializer,
    ProductImageSerializer,
    WishlistItemSerializer,
    absolute_url,
)
from shop.models import (
    MAX_LINE_QUANTITY,
    Cart,
    Category,
    Order,
    OrderLine,
    Payment,
    ProductImage,
    Variant,
    WishlistItem,
)
from shop.services.cart import cart_add, cart_for_user, cart_remove, cart_set_quantity
from shop.services.checkout import checkout_place_order
from shop.services.orders import payment_start
from shop.services.pricing import quote_build
from shop.services.wishlist import wishlist_add, wishlist_remove

IDEMPOTENCY_HEADER = "Idempotency-Key"
IDEMPOTENCY_MAX_LENGTH = 100
# Printable ASCII without a space at either end (a UUID, say): what the
# schema says and the view checks, so a header value a proxy might trim or
# re-encode can never name a different checkout.
IDEMPOTENCY_PATTERN = r"^[!-~](?:[ -~]*[!-~])?$"
# A price filter as sent: digits, at most two decimals, no sign or spaces.
PRICE_PATTERN = r"^[0-9]{1,10}(?:\.[0-9]{1,2})?$"
ORDERINGS = [*selectors.SORTS, selectors.SEARCH_SORT]

CONFLICT = {
    409: OpenApiResponse(
        Error,
        description="Not enough stock (sold_out), or the item is not on sale now "
        "(not_purchasable).",
    )
}
KEY_REUSED = {
    422: OpenApiResponse(
        ValidationError,
        description=(
            "A business rule refused the checkout (an empty cart, a coupon, the shipping "
            "method, a missing address, the payment method), or the Idempotency-Key was "
            "already used with another request body."
        ),
    )
}


# ------------------------------------------------------------------ catalog
class ProductListApi(generics.ListAPIView):
    """Published products, filtered, searched and sorted like the shop pages."""

    permission_classes = [AllowAny]
    serializer_class = ProductCardSerializer
    filter_backends: list = []

    @extend_schema_serializer(component_name="ShopProductFilters")
    class FilterSerializer(StrictInputSerializer):
        # Unknown slugs, brands and tags match nothing (an empty page), so
        # any string is a valid filter and the schema needs no slug pattern.
        q = serializers.CharField(
            required=False,
            allow_blank=True,
            max_length=200,
            help_text="Search words (relevance order).",
        )
        category = serializers.CharField(
            required=False,
            allow_blank=True,
            max_length=140,
            help_text="Category slug; includes its subcategories.",
        )
        brand = serializers.CharField(
            required=False,
            allow_blank=True,
            max_length=500,
            help_text="Brand slug(s), comma-separated.",
        )
        tag = serializers.CharField(required=False, allow_blank=True, max_length=100)
        min_price = PatternField(PRICE_PATTERN, required=False, help_text="e.g. 100000.00")
        max_price = PatternField(PRICE_PATTERN, required=False, help_text="e.g. 250000")
        in_stock = serializers.BooleanField(required=False, default=False)
        ordering = serializers.ChoiceField(
            choices=ORDERINGS,
            required=False,
            help_text="Default: relevance with `q`, otherwise popular.",
        )

    def get_queryset(self):
        params = self.FilterSerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        queryset = selectors.product_visible_queryset(user=self.request.user)
        if data.get("category"):
            category = selectors.category_get(slug=data["category"])
            if category is None:
                return queryset.none()
            queryset = selectors.category_products(category=category, base=queryset)
        brands = tuple(b.strip() for b in data.get("brand", "").split(",") if b.strip())
        queryset = selectors.product_filter(
            queryset=queryset,
            filters=selectors.ProductFilters(
                min_price=Decimal(data["min_price"]) if data.get("min_price") else None,
                max_price=Decimal(data["max_price"]) if data.get("max_price") else None,
                brands=brands,
                tag=data.get("tag", ""),
                in_stock=data.get("in_stock", False),
            ),
        )
        ordering = data.get("ordering")
        if data.get("q"):
            queryset = selectors.product_search(query=data["q"], base=queryset)
            if ordering and ordering != selectors.SEARCH_SORT:
                queryset = selectors.product_sort(queryset=queryset, sort=ordering)
        else:
            queryset = selectors.product_sort(
                queryset=queryset, sort=ordering or selectors.DEFAULT_SORT
            )
        return selectors.product_cards(queryset)

    @extend_schema(
        parameters=[FilterSerializer],
        responses={200: ProductCardSerializer(many=True)},
        examples=[ex.response("A page of products", ex.PRODUCT_CARD)],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


@extend_schema_serializer(component_name="ShopVariant")
class VariantSerializer(serializers.ModelSerializer):
    available = serializers.IntegerField(help_text="Units that can be ordered now.")
    on_sale = serializers.BooleanField()
    options_label = serializers.CharField()
    in_stock = serializers.SerializerMethodField()
    stock_label = serializers.SerializerMethodField()

    class Meta:
        model = Variant
        fields = [
            "id",
            "sku",
            "options",
            "options_label",
            "price",
            "compare_at_price",
            "on_sale",
            "available",
            "in_stock",
            "stock_label",
        ]

    def get_in_stock(self, variant: Variant) -> bool:
        return variant.available > 0

    def get_stock_label(self, variant: Variant) -> str:
        return selectors.stock_status(available=variant.available)[0]


class ProductDetailApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema_serializer(component_name="ShopProduct")
    class OutputSerializer(ProductCardSerializer):
        description_html = serializers.CharField()
        tags = serializers.SerializerMethodField()
        variants = VariantSerializer(source="variant_list", many=True)
        images = ProductImageSerializer(source="image_list", many=True)

        class Meta(ProductCardSerializer.Meta):
            fields = [
                *ProductCardSerializer.Meta.fields,
                "description",
                "description_html",
                "tags",
                "variants",
                "images",
            ]

        def get_image(self, product) -> str | None:
            images = product.image_list
            if not images:
                return None
            first = images[0]
            return absolute_url(self.context, first.card or first.image)

        def get_tags(self, product) -> list[str]:
            return [tag.name for tag in product.tags.all()]

    @extend_schema(
        responses={200: OutputSerializer, **NOT_FOUND},
        examples=[ex.response("A product with its variants", ex.PRODUCT)],
    )
    def get(self, request, slug: str):
        product = selectors.product_get_for_page(slug=slug, user=request.user)
        if product is None:
            raise Http404
        product.variant_list = selectors.product_variants(product=product)
        product.image_list = selectors.product_images(product=product)
        return Response(self.OutputSerializer(product, context={"request": request}).data)


class CategoryListApi(generics.ListAPIView):
    """Active categories in tree order (depth 1 = top level)."""

    permission_classes = [AllowAny]
    filter_backends: list = []

    @extend_schema_serializer(component_name="ShopCategory")
    class OutputSerializer(CategoryRefSerializer):
        class Meta(CategoryRefSerializer.Meta):
            fields = ["id", "name", "slug", "description", "depth", "position"]

    serializer_class = OutputSerializer

    def get_queryset(self):
        return Category.objects.filter(is_active=True).order_by("path")


# --------------------------------------------------------------------- cart
@extend_schema_serializer(component_name="ShopCartLine")
class CartLineOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    variant_id = serializers.IntegerField()
    sku = serializers.CharField()
    product_name = serializers.CharField()
    product_slug = serializers.CharField()
    options_label = serializers.CharField()
    quantity = serializers.IntegerField()
    unit_price = serializers.DecimalField(max_digits=12, decimal_places=2)
    line_total = serializers.DecimalField(max_digits=12, decimal_places=2)
    available = serializers.IntegerField()
    buyable = serializers.BooleanField(
        help_text="False when the item is not on sale now (unpublished, not launched or "
        "withdrawn): the line is left out of item_count and subtotal, and checkout is "
        "refused (409 not_purchasable) until it is removed."
    )


@extend_schema_serializer(component_name="ShopCart")
class CartOutputSerializer(serializers.Serializer):
    lines = CartLineOutputSerializer(many=True)
    item_count = serializers.IntegerField()
    subtotal = serializers.DecimalField(max_digits=12, decimal_places=2)
    currency = serializers.CharField()


def _user_cart(user) -> Cart | None:
    return Cart.objects.filter(user=user).first()


def cart_data(*, cart: Cart | None, user) -> dict:
    """The cart with server-side prices: three queries for any number of
    lines. Lines the user may not buy now are listed with buyable false and
    left out of the totals (as on the cart page)."""
    lines = list(cart.lines.select_related("variant__product")) if cart is not None else []
    purchasable = selectors.variants_purchasable(
        variants=[line.variant for line in lines], user=user
    )
    buyable_lines = [line for line in lines if line.variant_id in purchasable]
    quote = quote_build(
        lines=[(line.variant, line.quantity) for line in buyable_lines],
        shipping_method=None,
        coupon=None,
        user=user,
    )
    quoted_by_line = dict(zip((line.pk for line in buyable_lines), quote.lines, strict=True))
    rows = []
    for line in lines:
        quoted = quoted_by_line.get(line.pk)
        rows.append(
            {
                "id": line.pk,
                "variant_id": line.variant_id,
                "sku": line.variant.sku,
                "product_name": line.variant.product.name,
                "product_slug": line.variant.product.slug,
                "options_label": line.variant.options_label,
                "quantity": line.quantity,
                "unit_price": line.variant.price,
                "line_total": quoted.line_total if quoted else line.variant.price * line.quantity,
                "available": line.variant.available,
                "buyable": quoted is not None,
            }
        )
    return CartOutputSerializer(
        {
            "lines": rows,
            "item_count": sum(line.quantity for line in buyable_lines),
            "subtotal": quote.subtotal,
            "currency": payments.store_currency(),
        }
    ).data


class CartApi(APIView):
    """The logged-in user's cart (the same cart as on the website)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses={200: CartOutputSerializer, **AUTH_ERRORS},
        examples=[ex.response("A cart with one line", ex.CART)],
    )
    def get(self, request):
        return Response(cart_data(cart=_user_cart(request.user), user=request.user))


class CartLineAddApi(APIView):
    permission_classes = [IsAuthenticated]
    parser_classes = [JSONParser]

    @extend_schema_serializer(component_name="ShopCartLineAdd")
    class InputSerializer(StrictInputSerializer):
        variant_id = serializers.IntegerField(min_value=1)
        quantity = serializers.IntegerField(min_value=1, max_value=MAX_LINE_QUANTITY, default=1)

    @extend_schema(
        request=InputSerializer,
        responses={201: CartOutputSerializer, **WRITE_ERRORS, **NOT_FOUND, **CONFLICT},
        description="Adds units of a variant; adding one already in the cart raises its quantity.",
        examples=[
            ex.request("Two of a variant", {"variant_id": 42, "quantity": 2}),
            ex.response("The cart after adding", ex.CART, status=201),
            ex.SOLD_OUT_EXAMPLE,
        ],
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        # A refusal also rolls back the cart created for a first item.
        with transaction.atomic():
            cart = cart_for_user(user=request.user)
            cart_add(cart=cart, user=request.user, **serializer.validated_data)
        return Response(cart_data(cart=cart, user=request.user), status=status.HTTP_201_CREATED)


class CartLineDetailApi(APIView):
    permission_classes = [IsAuthenticated]
    parser_classes = [JSONParser]

    @extend_schema_serializer(component_name="ShopCartLineUpdate")
    class InputSerializer(StrictInputSerializer):
        quantity = serializers.IntegerField(
            min_value=0,
            max_value=MAX_LINE_QUANTITY,
            required=False,
            help_text="0 removes the line; without it the line is left as it is.",
        )

    def _cart(self, request) -> Cart:
        cart = _user_cart(request.user)
        if cart is None:
            raise ApplicationError(
                _("That item is not in your cart."), code="not_found", status_code=404
            )
        return cart

    @extend_schema(
        request=InputSerializer,
        responses={200: CartOutputSerializer, **WRITE_ERRORS, **NOT_FOUND, **CONFLICT},
        examples=[
            ex.request("Change the quantity", {"quantity": 2}),
            ex.request("Remove the line", {"quantity": 0}),
            ex.response("The cart after the change", ex.CART),
            ex.SOLD_OUT_EXAMPLE,
        ],
    )
    def patch(self, request, line_id: int):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        cart = self._cart(request)
        if "quantity" in serializer.validated_data:
            cart_set_quantity(
                cart=cart,
                line_id=line_id,
                quantity=serializer.validated_data["quantity"],
                user=request.user,
            )
        elif not cart.lines.filter(pk=line_id).exists():
            # PATCH without a quantity changes nothing, for a line that exists.
            raise ApplicationError(
                _("That item is not in your cart."), code="not_found", status_code=404
            )
        return Response(cart_data(cart=cart, user=request.user))

    @extend_schema(responses={204: None, **AUTH_ERRORS, **NOT_FOUND, 429: WRITE_ERRORS[429]})
    def delete(self, request, line_id: int):
        cart_remove(cart=self._cart(request), line_id=line_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


# ----------------------------------------------------------------- orders
def _order_detail_queryset():
    return Order.objects.prefetch_related(
        Prefetch("lines", queryset=OrderLine.objects.order_by("pk")),
        "adjustments",
        Prefetch("payments", queryset=Payment.objects.order_by("-created_at", "-pk")),
    )


def checkout_fingerprint(*, user, data: dict) -> str:
    """A digest of a checkout request: its validated body (defaults filled
    in, keys sorted) and its user. Keyed with SECRET_KEY, since the body
    may hold a card number."""
    canonical = json.dumps(
        {"user": user.pk, "body": data}, sort_keys=True, separators=(",", ":"), default=str
    )
    return salted_hmac("shop.checkout.idempotency", canonical, algorithm="sha256").hexdigest()


class CheckoutApi(APIView):
    """Place an order from the user's cart and start its payment."""

    permission_classes = [IsAuthenticated]
    parser_classes = [JSONParser]

    @extend_schema_serializer(component_name="ShopCheckout")
    class InputSerializer(StrictInputSerializer):
        shipping_address = AddressSerializer(
            required=False, help_text="Not needed with a pickup shipping method."
        )
        shipping_method_id = serializers.IntegerField(required=False, allow_null=True)
        payment_gateway = serializers.CharField(max_length=40, help_text="e.g. test_card.")
        coupon_code = serializers.CharField(
            max_length=40, required=False, allow_blank=True, default=""
        )
        card_number = serializers.CharField(
            max_length=32,
            required=False,
            allow_blank=True,
            default="",
            write_only=True,
            help_text="Only for gateways that collect a card; never stored.",
        )
        note = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")
        adjustments = serializers.DictField(
            child=serializers.CharField(max_length=100, allow_blank=True),
            required=False,
            default=dict,
            help_text=(
                "The shopper's choice for each checkout adjustment on offer, by its code "
                '(e.g. {"loyalty.points": "5000"}); without it none is applied.'
            ),
        )

    @extend_schema(
        request=InputSerializer,
        parameters=[
            OpenApiParameter(
                IDEMPOTENCY_HEADER,
                {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": IDEMPOTENCY_MAX_LENGTH,
                    "pattern": IDEMPOTENCY_PATTERN,
                },
                OpenApiParameter.HEADER,
                required=True,
                description=(
                    "A unique key per checkout attempt (e.g. a UUID). Retrying with the "
                    "same key and body returns the order the first call placed, with the "
                    "same body; the same key with another body is refused with 422."
                ),
            )
        ],
        responses={201: OrderSerializer, **WRITE_ERRORS, **CONFLICT, **KEY_REUSED},
        examples=[
            ex.request("Pay by test card", ex.CHECKOUT_REQUEST),
            ex.request(
                "Pay by bank transfer",
                ex.BANK_TRANSFER_CHECKOUT_REQUEST,
                summary="The order waits for the transfer; its stock is held for 24 hours.",
            ),
            ex.response("Order placed and paid", ex.ORDER, status=201),
            ex.response("Placed and waiting for the transfer", ex.PENDING_ORDER, status=201),
            ex.response(
                "Idempotency-Key header missing",
                {
                    "detail": "Send an Idempotency-Key header of 1 to 100 printable ASCII "
                    "characters, not starting or ending with a space.",
                    "code": "idempotency_key_required",
                },
                status=400,
            ),
            ex.SOLD_OUT_EXAMPLE,
            ex.response(
                "Idempotency-Key reused with another request",
                ex.IDEMPOTENCY_KEY_REUSED,
                status=422,
                summary="Nothing was placed; the first order is unchanged.",
            ),
        ],
    )
    def post(self, request):
        key = request.headers.get(IDEMPOTENCY_HEADER) or ""
        if len(key) > IDEMPOTENCY_MAX_LENGTH or not re.fullmatch(IDEMPOTENCY_PATTERN, key):
            raise ApplicationError(
                _(
                    "Send an Idempotency-Key header of 1 to %(max)s printable ASCII "
                    "characters, not starting or ending with a space."
                )
                % {"max": IDEMPOTENCY_MAX_LENGTH},
                code="idempotency_key_required",
                status_code=400,
            )
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        cart = _user_cart(request.user)
        if cart is None:
            raise ApplicationError(_("Your cart is empty."), code="cart_empty")
        order = checkout_place_order(
            cart=cart,
            user=request.user,
            email=request.user.email,
            shipping_address=data.get("shipping_address") or {},
            shipping_method_id=data.get("shipping_method_id"),
            payment_gateway=data["payment_gateway"],
            coupon_code=data["coupon_code"],
            idempotency_key=key,
            idempotency_fingerprint=checkout_fingerprint(user=request.user, data=data),
            note=data["note"],
            adjustment_choices=data["adjustments"],
            # The API lives outside i18n_patterns, so the active language is
            # always the default; the client's Accept-Language (or language
            # cookie) says which language the shopper's emails are written in.
            language=translation.get_language_from_request(request),
        )
        # Start the payment once: a replay finds it started (decided under
        # the order's lock) and answers with the order as it stands, so both
        # bodies are the same. On a refusal the order's status and payment
        # say where it stands.
        with contextlib.suppress(ApplicationError):
            payment_start(order=order, data={"card_number": data["card_number"]}, first_only=True)
        order = _order_detail_queryset().get(pk=order.pk)
        return Response(OrderSerializer(order).data, status=status.HTTP_201_CREATED)


class OrderListApi(generics.ListAPIView):
    """The logged-in user's orders, newest first."""

    permission_classes = [IsAuthenticated]
    serializer_class = OrderSummarySerializer
    filter_backends: list = []

    def get_queryset(self):
        return (
            Order.objects.filter(user=self.request.user)
            .annotate(item_count=Sum("lines__quantity"))
            .order_by("-created_at", "-pk")
        )

    @extend_schema(
        responses={200: OrderSummarySerializer(many=True), **AUTH_ERRORS},
        examples=[ex.response("A page of orders", ex.ORDER_SUMMARY)],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class OrderDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses={200: OrderSerializer, **AUTH_ERRORS, **NOT_FOUND},
        examples=[ex.response("A paid order", ex.ORDER)],
    )
    def get(self, request, number: str):
        order = _order_detail_queryset().filter(user=request.user, number=number).first()
        if order is None:
            raise Http404
        return Response(OrderSerializer(order).data)


# --------------------------------------------------------------- wishlist
class WishlistApi(generics.ListAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = WishlistItemSerializer
    filter_backends: list = []
    parser_classes = [JSONParser]

    @extend_schema_serializer(component_name="ShopWishlistAdd")
    class InputSerializer(StrictInputSerializer):
        product_id = serializers.IntegerField(min_value=1)

    def get_queryset(self):
        first_image = ProductImage.objects.only(
            "pk", "product_id", "card", "thumb", "image", "alt_text", "position"
        ).order_by("position", "pk")[:1]
        return (
            WishlistItem.objects.filter(user=self.request.user, product__is_published=True)
            .select_related("product__brand", "product__category")
            .prefetch_related(
                Prefetch("product__images", queryset=first_image, to_attr="card_images")
            )
            .order_by("-created_at", "-pk")
        )

    @extend_schema(
        responses={200: WishlistItemSerializer(many=True), **AUTH_ERRORS},
        examples=[ex.response("A page of wishlist items", ex.WISHLIST_ITEM)],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=InputSerializer,
        responses={
            201: WishlistItemSerializer,
            200: OpenApiResponse(WishlistItemSerializer, description="Already on the wishlist."),
            **WRITE_ERRORS,
            **NOT_FOUND,
        },
        examples=[
            ex.request("Add a product", {"product_id": 7}),
            ex.response("Added", ex.WISHLIST_ITEM, status=201),
            ex.response("Already on the wishlist", ex.WISHLIST_ITEM),
        ],
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        item, created = wishlist_add(user=request.user, **serializer.validated_data)
        item = self.get_queryset().get(pk=item.pk)
        return Response(
            WishlistItemSerializer(item, context={"request": request}).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class WishlistItemApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={204: None, **AUTH_ERRORS, **NOT_FOUND, 429: WRITE_ERRORS[429]})
    def delete(self, request, product_id: int):
        if not wishlist_remove(user=request.user, product_id=product_id):
            raise ApplicationError(
                _("This product is not on your wishlist."), code="not_found", status_code=404
            )
        return Response(status=status.HTTP_204_NO_CONTENT)
