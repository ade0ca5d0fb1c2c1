from __future__ import annotations

from django.urls import path

from shop.api import views

urlpatterns = [
    path("products/", views.ProductListApi.as_view(), name="shop-products"),
    path("products/<slug:slug>/", views.ProductDetailApi.as_view(), name="shop-product"),
    path("categories/", views.CategoryListApi.as_view(), name="shop-categories"),
    path("cart/", views.CartApi.as_view(), name="shop-cart"),
    path("cart/lines/", views.CartLineAddApi.as_view(), name="shop-cart-lines"),
    path("cart/lines/<int:line_id>/", views.CartLineDetailApi.as_view(), name="shop-cart-line"),
    path("checkout/", views.CheckoutApi.as_view(), name="shop-checkout"),
    path("orders/", views.OrderListApi.as_view(), name="shop-orders"),
    path("orders/<str:number>/", views.OrderDetailApi.as_view(), name="shop-order"),
    path("wishlist/", views.WishlistApi.as_view(), name="shop-wishlist"),
    path("wishlist/<int:product_id>/", views.WishlistItemApi.as_view(), name="shop-wishlist-item"),
]
