from shop.models.cart import MAX_LINE_QUANTITY, Cart, CartLine
from shop.models.catalog import (
    Brand,
    Category,
    Product,
    ProductImage,
    ProductTag,
    TaggedProduct,
    Variant,
)
from shop.models.orders import (
    Address,
    Coupon,
    CouponRedemption,
    Order,
    OrderAdjustment,
    OrderHistory,
    OrderLine,
    Payment,
    ShippingMethod,
    WebhookReceipt,
)
from shop.models.search import SearchWord
from shop.models.wishlist import StockAlert, WishlistItem

__all__ = [
    "MAX_LINE_QUANTITY",
    "Address",
    "Brand",
    "Cart",
    "CartLine",
    "Category",
    "Coupon",
    "CouponRedemption",
    "Order",
    "OrderAdjustment",
    "OrderHistory",
    "OrderLine",
    "Payment",
    "Product",
    "ProductImage",
    "ProductTag",
    "SearchWord",
    "ShippingMethod",
    "StockAlert",
    "TaggedProduct",
    "Variant",
    "WebhookReceipt",
    "WishlistItem",
]
