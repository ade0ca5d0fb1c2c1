"""sitemap.xml (products and categories) and the robots.txt that points to it."""

from __future__ import annotations

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.contrib.sitemaps import views as sitemap_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import cache_page
from django.views.decorators.http import require_safe

from shop.models import Category, Product


class _RequestDomainSitemap(Sitemap):
    """Absolute URLs on the host the sitemap was asked for, rather than the
    `sites` framework's stored domain (example.com until someone edits it)."""

    limit = 5000
    # One URL per language (/shop/p/x/, /id/shop/p/x/), each with hreflang alternates.
    i18n = True
    alternates = True
    x_default = True

    def __init__(self, domain: str) -> None:
        self.domain = domain

    def get_domain(self, site=None) -> str:
        return self.domain


class ProductSitemap(_RequestDomainSitemap):
    changefreq = "daily"
    priority = 0.8

    def items(self):
        # Launched products only: early access is per shopper, never public.
        return Product.objects.visible().order_by("pk").only("slug", "updated_at")

    def lastmod(self, product: Product):
        return product.updated_at


class CategorySitemap(_RequestDomainSitemap):
    changefreq = "weekly"
    priority = 0.6

    def items(self):
        return Category.objects.filter(is_active=True).order_by("path").only("slug")


class PageSitemap(_RequestDomainSitemap):
    """The entry pages: home and the whole catalogue."""

    changefreq = "daily"
    priority = 1.0

    def items(self):
        return ["home", "shop:index"]

    def location(self, name: str) -> str:
        return reverse(name)


SITEMAPS = {"pages": PageSitemap, "products": ProductSitemap, "categories": CategorySitemap}

# Per-shopper pages crawlers have no business in, in every language.
PRIVATE_PATHS = ("cart/", "checkout/", "orders/", "addresses/", "wishlist/", "stock-alerts/")


@require_safe
@cache_page(15 * 60)
def sitemap(request: HttpRequest) -> HttpResponse:
    domain = request.get_host()
    sitemaps = {name: cls(domain) for name, cls in SITEMAPS.items()}
    return sitemap_views.sitemap(request, sitemaps=sitemaps)


@require_safe
def robots_txt(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "robots.txt",
        {
            "sitemap_url": request.build_absolute_uri(reverse("sitemap")),
            "private_paths": [
                f"{prefix}/shop/{path}"
                for prefix in ("", *(f"/{code}" for code, _name in settings.LANGUAGES[1:]))
                for path in PRIVATE_PATHS
            ],
        },
        content_type="text/plain",
    )
