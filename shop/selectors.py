"""Catalog reads for the storefront pages.

Listing pages cost a constant number of queries whatever the page size:
cards read the denormalised `min_price` / `in_stock` columns, join brand and
category, and prefetch only the first (card-size) image of each product.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.postgres.search import (
    SearchQuery,
    SearchRank,
    TrigramSimilarity,
    TrigramStrictWordSimilarity,
)
from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import Case, Count, F, IntegerField, Prefetch, Q, QuerySet, Value, When
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core import hooks
from shop.models import Category, Order, OrderLine, Product, ProductImage, Variant

PAGE_SIZE = 24
RECENTLY_VIEWED_MAX = 8
LOW_STOCK_THRESHOLD = 5
SUGGESTION_LIMIT = 6
TRIGRAM_THRESHOLD = 0.3

# Orders whose lines count as real purchases (not pending, cancelled or refunded).
PURCHASED_STATUSES = (
    Order.Status.PAID,
    Order.Status.FULFILLED,
    Order.Status.DELIVERED,
    Order.Status.COMPLETED,
)

# Sort key -> (label, ordering). A rating sort joins once reviews exist.
SORTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "popular": (_("Most popular"), ("-sales_count", "-view_count", "-pk")),
    "newest": (_("Newest"), ("-created_at", "-pk")),
    "price_asc": (_("Price: low to high"), ("min_price", "pk")),
    "price_desc": (_("Price: high to low"), ("-min_price", "-pk")),
}
DEFAULT_SORT = "popular"
SEARCH_SORT = "relevance"


# ------------------------------------------------------------------ visibility
def _early_access_hooks() -> list:
    return hooks.get_hooks(hooks.PRODUCT_EARLY_ACCESS)


def _early_access_granted(*, user, product: Product) -> bool:
    return any(fn(user, product) for fn in _early_access_hooks())


def product_visible_queryset(*, user=None) -> QuerySet[Product]:
    """Published and launched products, plus upcoming ones an early-access
    hook opens for this user. Without a hook this is `Product.objects.visible()`
    and costs no extra query."""
    visible = Product.objects.visible()
    if not _early_access_hooks() or user is None or not user.is_authenticated:
        return visible
    upcoming = Product.objects.published().filter(available_from__gt=timezone.now())
    opened = [p.pk for p in upcoming if _early_access_granted(user=user, product=p)]
    if not opened:
        return visible
    return Product.objects.published().filter(Q(pk__in=visible.values("pk")) | Q(pk__in=opened))


def product_get_for_page(*, slug: str, user=None) -> Product | None:
    """The product page's product, or None when the shopper may not see it
    (unpublished, or not launched and no early access)."""
    product = (
        Product.objects.published().select_related("brand", "category").filter(slug=slug).first()
    )
    if product is None:
        return None
    launched = product.available_from is None or product.available_from <= timezone.now()
    if launched:
        return product
    if (
        user is not None
        and user.is_authenticated
        and _early_access_granted(user=user, product=product)
    ):
        return product
    return None


# ----------------------------------------------------------------------- cards
def product_cards(queryset: QuerySet[Product]) -> QuerySet[Product]:
    """Everything a product card shows, in two queries for any number of
    cards: the products with brand and category, and their first images."""
    first_image = ProductImage.objects.only(
        "pk", "product_id", "card", "thumb", "alt_text", "position"
    ).order_by("position", "pk")[:1]
    return (
        queryset.select_related("brand", "category")
        # Cards never show these; on a large catalog they are most of the row.
        .defer("description", "description_html", "search_vector")
        .prefetch_related(Prefetch("images", queryset=first_image, to_attr="card_images"))
    )


def _cards_in_order(queryset: QuerySet[Product], ids: Sequence[int]) -> list[Product]:
    if not ids:
        return []
    by_id = {p.pk: p for p in product_cards(queryset.filter(pk__in=ids))}
    return [by_id[pk] for pk in ids if pk in by_id]


# ------------------------------------------------------------------ categories
def category_roots() -> QuerySet[Category]:
    return Category.objects.get_root_nodes().filter(is_active=True)


def category_get(*, slug: str) -> Category | None:
    return Category.objects.filter(slug=slug, is_active=True).first()


def category_breadcrumbs(*, category: Category) -> list[Category]:
    return [*Category.objects.get_ancestors(category), category]


def category_children(*, category: Category) -> QuerySet[Category]:
    return Category.objects.get_children(category).filter(is_active=True)


def category_products(*, category: Category, base: QuerySet[Product]) -> QuerySet[Product]:
    """Products of the category and of all its descendants (one path prefix:
    treebeard's materialised path)."""
    return base.filter(category__path__startswith=category.path)


# --------------------------------------------------------------------- filters
@dataclass(frozen=True)
class ProductFilters:
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    brands: tuple[str, ...] = ()
    tag: str = ""
    in_stock: bool = False
    sort: str = DEFAULT_SORT

    @property
    def active(self) -> bool:
        return bool(
            self.min_price is not None
            or self.max_price is not None
            or self.brands
            or self.tag
            or self.in_stock
        )


def product_filter(*, queryset: QuerySet[Product], filters: ProductFilters) -> QuerySet[Product]:
    if filters.min_price is not None:
        queryset = queryset.filter(min_price__gte=filters.min_price)
    if filters.max_price is not None:
        queryset = queryset.filter(min_price__lte=filters.max_price)
    if filters.brands:
        queryset = queryset.filter(brand__slug__in=filters.brands)
    if filters.tag:
        queryset = queryset.filter(tags__slug=filters.tag)
    if filters.in_stock:
        queryset = queryset.filter(in_stock=True)
    return queryset


def product_sort(*, queryset: QuerySet[Product], sort: str) -> QuerySet[Product]:
    ordering = SORTS.get(sort, SORTS[DEFAULT_SORT])[1]
    return queryset.order_by(*ordering)


def sort_choices() -> list[tuple[str, str]]:
    return [(key, label) for key, (label, _ordering) in SORTS.items()]


@dataclass
class Facets:
    brands: list[dict] = field(default_factory=list)
    tags: list[dict] = field(default_factory=list)


def product_facets(*, queryset: QuerySet[Product], limit: int = 20) -> Facets:
    """Brands and tags present in a listing (before filtering), with counts:
    two grouped queries."""
    base = queryset.order_by()
    brands = (
        base.filter(brand__isnull=False)
        .values("brand__slug", "brand__name")
        .annotate(count=Count("pk"))
        .order_by("brand__name")[:limit]
    )
    tags = (
        base.filter(tags__isnull=False)
        .values("tags__slug", "tags__name")
        .annotate(count=Count("pk"))
        .order_by("-count", "tags__name")[:limit]
    )
    return Facets(
        brands=[
            {"slug": row["brand__slug"], "name": row["brand__name"], "count": row["count"]}
            for row in brands
        ],
        tags=[
            {"slug": row["tags__slug"], "name": row["tags__name"], "count": row["count"]}
            for row in tags
        ],
    )


def product_page(*, queryset: QuerySet[Product], page: str | int | None) -> Page:
    """One page of cards: a count and two queries, whatever the page size."""
    return Paginator(product_cards(queryset), PAGE_SIZE).get_page(page)


# --------------------------------------------------------------------- search
def _is_postgres() -> bool:
    return connection.vendor == "postgresql"


def _uses_search_operators(query: str) -> bool:
    words = query.lower().split()
    return '"' in query or "or" in words or any(word.startswith("-") for word in words)


def product_search(*, query: str, base: QuerySet[Product]) -> QuerySet[Product]:
    """Products matching `query`, best first.

    PostgreSQL: the weighted full-text vector (name A, brand and tags B,
    description C) ranked by SearchRank, OR trigram similarity on the name so
    a typo ("batk") still finds "Batik". SQLite: every word must appear in the
    name, description, brand or a tag; name matches first."""
    query = " ".join(query.split())
    if not query:
        return base.none()
    if _is_postgres():
        search_query = SearchQuery(query, config="simple", search_type="websearch")
        ranked = base.annotate(
            rank=SearchRank(F("search_vector"), search_query),
            similarity=Greatest(
                TrigramSimilarity("name", query), TrigramStrictWordSimilarity(query, "name")
            ),
        )
        matches = Q(search_vector=search_query)
        if not _uses_search_operators(query):
            # Typo tolerance, unless the shopper asked for exact words ("-scarf").
            matches |= Q(similarity__gte=TRIGRAM_THRESHOLD)
        return ranked.filter(matches).order_by("-rank", "-similarity", "-sales_count", "-pk")
    matches = base
    for word in query.split():
        tagged = Product.objects.filter(tags__name__icontains=word).values("pk")
        matches = matches.filter(
            Q(name__icontains=word)
            | Q(description__icontains=word)
            | Q(brand__name__icontains=word)
            | Q(pk__in=tagged)
        )
    return matches.annotate(
        name_match=Case(
            When(name__istartswith=query, then=Value(3)),
            When(name__icontains=query, then=Value(2)),
            When(name__icontains=query.split()[0], then=Value(1)),
            default=Value(0),
            output_field=IntegerField(),
        )
    ).order_by("-name_match", "-sales_count", "-pk")


def product_suggestions(*, query: str, base: QuerySet[Product]) -> list[dict]:
    """Up to six names (with slugs) for the suggest-as-you-type box: one query."""
    query = " ".join(query.split())
    if len(query) < 2:
        return []
    return list(product_search(query=query, base=base).values("name", "slug")[:SUGGESTION_LIMIT])


# ----------------------------------------------------------- product details
def product_images(*, product: Product) -> list[ProductImage]:
    return list(product.images.all())


def product_variants(*, product: Product) -> list[Variant]:
    return list(product.variants.filter(is_active=True))


def stock_status(*, available: int) -> tuple[str, str]:
    """(label, level) for a number of units available; level is a CSS hint."""
    if available <= 0:
        return str(_("Sold out")), "out"
    if available <= LOW_STOCK_THRESHOLD:
        return (
            ngettext("Only %(count)d left", "Only %(count)d left", available)
            % {"count": available},
            "low",
        )
    return str(_("In stock")), "in"


def products_related(*, product: Product, base: QuerySet[Product], limit: int = 4) -> list[Product]:
    """Best sellers of the same category."""
    queryset = (
        base.filter(category_id=product.category_id)
        .exclude(pk=product.pk)
        .order_by("-sales_count", "-view_count", "-pk")
    )
    return list(product_cards(queryset)[:limit])


BOUGHT_TOGETHER_CACHE_SECONDS = 15 * 60


def products_bought_together(
    *, product: Product, base: QuerySet[Product], limit: int = 4
) -> list[Product]:
    """ "Customers who bought this also bought": the other products in paid
    orders that contain this one, by how many such orders they appear in.
    One aggregate query, then the cards. The ranking is cached per product:
    for a best seller it walks thousands of order lines (bench/README.md),
    and a ranking a few minutes old is as good as a fresh one."""
    cache_key = f"shop:bought-together:v1:{product.pk}:{limit}"
    ids = cache.get(cache_key)
    if ids is None:
        orders_with_product = OrderLine.objects.filter(
            variant__product_id=product.pk, order__status__in=PURCHASED_STATUSES
        ).values("order_id")
        ranked = (
            OrderLine.objects.filter(order_id__in=orders_with_product, variant__isnull=False)
            .exclude(variant__product_id=product.pk)
            .values("variant__product_id")
            .annotate(orders=Count("order_id", distinct=True))
            .order_by("-orders", "variant__product_id")[: limit * 2]
        )
        ids = [row["variant__product_id"] for row in ranked]
        cache.set(cache_key, ids, BOUGHT_TOGETHER_CACHE_SECONDS)
    return _cards_in_order(base, ids)[:limit]


def products_recently_viewed(
    *, ids: Iterable[int], base: QuerySet[Product], exclude: int | None = None
) -> list[Product]:
    ids = [pk for pk in ids if pk != exclude][:RECENTLY_VIEWED_MAX]
    return _cards_in_order(base, ids)


def recently_viewed_push(*, ids: Sequence[int], product_id: int) -> list[int]:
    """The list with `product_id` first, without duplicates, capped."""
    return [product_id, *(pk for pk in ids if pk != product_id)][:RECENTLY_VIEWED_MAX]


# ---------------------------------------------------------------------- home
def products_featured(*, base: QuerySet[Product], limit: int = 8) -> list[Product]:
    return list(
        product_cards(base.filter(is_featured=True).order_by("-sales_count", "-pk"))[:limit]
    )


def products_new(*, base: QuerySet[Product], limit: int = 8) -> list[Product]:
    return list(product_cards(base.order_by("-created_at", "-pk"))[:limit])


def products_best_selling(*, base: QuerySet[Product], limit: int = 8) -> list[Product]:
    queryset = base.filter(sales_count__gt=0).order_by("-sales_count", "-view_count", "-pk")
    return list(product_cards(queryset)[:limit])


def products_for_you(*, user, base: QuerySet[Product], limit: int = 8) -> list[Product]:
    """Filled by whichever app registers FOR_YOU_PRODUCTS; empty otherwise."""
    ids: list[int] = []
    for fn in hooks.get_hooks(hooks.FOR_YOU_PRODUCTS):
        for pk in fn(user, limit) or []:
            if pk not in ids:
                ids.append(pk)
    return _cards_in_order(base, ids[:limit])
