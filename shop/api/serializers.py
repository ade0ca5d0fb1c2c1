"""Output serializers shared by several shop API views. Component names
carry a `Shop` prefix so they stay unique in /api/schema/."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from core.api.serializers import PatternField, StrictInputSerializer
from shop.models import (
    Brand,
    Category,
    Order,
    OrderAdjustment,
    OrderLine,
    Product,
    ProductImage,
    WishlistItem,
)


def absolute_url(context: dict, field) -> str | None:
    if not field:
        return None
    request = context.get("request")
    url = field.url
    return request.build_absolute_uri(url) if request is not None else url


@extend_schema_serializer(component_name="ShopBrand")
class BrandSerializer(serializers.ModelSerializer):
    class Meta:
        model = Brand
        fields = ["name", "slug"]


@extend_schema_serializer(component_name="ShopCategoryRef")
class CategoryRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["name", "slug"]


@extend_schema_serializer(component_name="ShopProductCard")
class ProductCardSerializer(serializers.ModelSerializer):
    """A product in a listing: reads only the denormalised columns, the
    joined brand and category, and the prefetched first image."""

    brand = BrandSerializer(read_only=True, allow_null=True)
    category = CategoryRefSerializer(read_only=True)
    image = serializers.SerializerMethodField()

    class Meta:
        model = Product
        fields = ["id", "slug", "name", "brand", "category", "min_price", "in_stock", "image"]

    def get_image(self, product: Product) -> str | None:
        images = getattr(product, "card_images", None) or []
        if not images:
            return None
        first = images[0]
        return absolute_url(self.context, first.card or first.image)


@extend_schema_serializer(component_name="ShopAddress")
class AddressSerializer(StrictInputSerializer):
    full_name = serializers.CharField(max_length=120)
    phone = serializers.CharField(max_length=32)
    line1 = serializers.CharField(max_length=200)
    line2 = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    city = serializers.CharField(max_length=100)
    region = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    postal_code = serializers.CharField(max_length=16)
    country = PatternField(
        r"^[A-Za-z]{2}$", required=False, default="ID", help_text="ISO 3166 code, e.g. ID."
    )


@extend_schema_serializer(component_name="ShopAddressSnapshot")
class AddressSnapshotSerializer(serializers.Serializer):
    """An order's shipping address as it was taken at checkout: an address
    of the time (older orders may lack a key) or blanked when the shopper
    deleted their account (shop.privacy), so nothing here is required."""

    full_name = serializers.CharField(required=False, allow_blank=True)
    phone = serializers.CharField(required=False, allow_blank=True)
    line1 = serializers.CharField(required=False, allow_blank=True)
    line2 = serializers.CharField(required=False, allow_blank=True)
    city = serializers.CharField(required=False, allow_blank=True)
    region = serializers.CharField(required=False, allow_blank=True)
    postal_code = serializers.CharField(required=False, allow_blank=True)
    country = serializers.CharField(required=False, allow_blank=True)


@extend_schema_serializer(component_name="ShopOrderLine")
class OrderLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = OrderLine
        fields = [
            "variant_id",
            "product_name",
            "sku",
            "options_label",
            "unit_price",
            "quantity",
            "line_total",
        ]


@extend_schema_serializer(component_name="ShopOrderAdjustment")
class OrderAdjustmentSerializer(serializers.ModelSerializer):
    """An amount another app took off the order (points, say)."""

    class Meta:
        model = OrderAdjustment
        fields = ["code", "label", "amount", "released_amount"]


@extend_schema_serializer(component_name="ShopPayment")
class PaymentSerializer(serializers.Serializer):
    gateway = serializers.CharField()
    status = serializers.CharField()
    message = serializers.CharField()


@extend_schema_serializer(component_name="ShopOrderSummary")
class OrderSummarySerializer(serializers.ModelSerializer):
    item_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Order
        fields = ["number", "status", "currency", "total", "item_count", "created_at"]


@extend_schema_serializer(component_name="ShopOrder")
class OrderSerializer(serializers.ModelSerializer):
    shipping_address = serializers.SerializerMethodField()
    lines = OrderLineSerializer(many=True, read_only=True)
    adjustments = OrderAdjustmentSerializer(many=True, read_only=True)
    payment = serializers.SerializerMethodField()

    class Meta:
        model = Order
        fields = [
            "number",
            "status",
            "email",
            "currency",
            "subtotal",
            "discount_total",
            "shipping_total",
            "tax_total",
            "total",
            "shipping_method_name",
            "shipping_address",
            "coupon_code",
            "payment_gateway",
            "payment",
            "reserved_until",
            "paid_at",
            "carrier",
            "tracking_number",
            "lines",
            "adjustments",
            "created_at",
        ]

    @extend_schema_field(AddressSnapshotSerializer(allow_null=True))
    def get_shipping_address(self, order: Order) -> dict | None:
        """The address snapshot taken at checkout; null for pickup orders."""
        return order.shipping_address or None

    @extend_schema_field(PaymentSerializer(allow_null=True))
    def get_payment(self, order: Order) -> dict | None:
        """The latest payment attempt (prefetched, newest first), if any."""
        payments = list(order.payments.all())
        if not payments:
            return None
        latest = payments[0]
        return {"gateway": latest.gateway, "status": latest.status, "message": latest.message}


@extend_schema_serializer(component_name="ShopWishlistItem")
class WishlistItemSerializer(serializers.ModelSerializer):
    product = ProductCardSerializer(read_only=True)

    class Meta:
        model = WishlistItem
        fields = ["product", "created_at"]


@extend_schema_serializer(component_name="ShopProductImage")
class ProductImageSerializer(serializers.ModelSerializer):
    image = serializers.SerializerMethodField()
    card = serializers.SerializerMethodField()
    thumb = serializers.SerializerMethodField()

    class Meta:
        model = ProductImage
        fields = ["image", "card", "thumb", "alt_text"]

    def get_image(self, obj: ProductImage) -> str | None:
        return absolute_url(self.context, obj.image)

    def get_card(self, obj: ProductImage) -> str | None:
        return absolute_url(self.context, obj.card)

    def get_thumb(self, obj: ProductImage) -> str | None:
        return absolute_url(self.context, obj.thumb)
