"""Catalog reads for the storefront pages.

Listing pages cost a constant number of queries whatever the page size:
cards read the denormalised `min_price` / `in_stock` columns, join brand and
category, and prefetch only the first (card-size) image of each product.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.postgres.search import (
    SearchQuery,
    SearchRank,
    TrigramStrictWordSimilarity,
)
from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import Case, Count, F, IntegerField, Prefetch, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext_lazy as _

from core import hooks
from shop.cache import catalog_generation
from shop.models import (
    Brand,
    Category,
    Order,
    OrderLine,
    Product,
    ProductImage,
    ProductTag,
    TaggedProduct,
    Variant,
)

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

# Sort key -> (label, ordering). The rating sort (RATING_SORT) is offered only
# while a rating provider is registered, see "ratings" below.
SORTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "popular": (_("Most popular"), ("-sales_count", "-view_count", "-pk")),
    "newest": (_("Newest"), ("-created_at", "-pk")),
    "price_asc": (_("Price: low to high"), ("min_price", "pk")),
    "price_desc": (_("Price: high to low"), ("-min_price", "-pk")),
}
DEFAULT_SORT = "popular"
SEARCH_SORT = "relevance"
RATING_SORT = "top_rated"
MIN_RATING_CHOICES = (4, 3, 2, 1)


# ------------------------------------------------------------------ visibility
# One rule decides what a shopper may see and buy: a product is open to them
# when it is published and has launched, or when an early-access hook
# (PRODUCT_EARLY_ACCESS, core/hooks.py) opens it to them before its launch; a
# variant of an open product may be bought while it is active. The product
# page, the listings, cart add, the cart, checkout and the API all ask it.
_EARLY_ACCESS_MEMO = "_shop_early_access"


def early_access_product_ids(*, user) -> frozenset[int]:
    """The products open early to this member (empty for a visitor, and
    without a hook). The hooks are asked once per request: the answer is
    kept on the user object, as Django's ModelBackend keeps permissions
    (`_perm_cache`), and `request.user` lives for one request. It is kept
    with the hooks that gave it, so registering another hook asks again."""
    if user is None or not user.is_authenticated:
        return frozenset()
    providers = tuple(hooks.get_hooks(hooks.PRODUCT_EARLY_ACCESS))
    if not providers:
        return frozenset()
    memo = getattr(user, _EARLY_ACCESS_MEMO, None)
    if memo is not None and memo[0] == providers:
        return memo[1]
    ids = frozenset(int(pk) for fn in providers for pk in (fn(user) or ()))
    setattr(user, _EARLY_ACCESS_MEMO, (providers, ids))
    return ids


def product_is_open(*, product: Product, early_ids: AbstractSet[int], now=None) -> bool:
    """Published, and launched or open early (`early_access_product_ids`)."""
    if not product.is_published:
        return False
    launch = product.available_from
    return launch is None or launch <= (now or timezone.now()) or product.pk in early_ids


def variants_purchasable(*, variants: Iterable[Variant], user) -> set[int]:
    """The ids of `variants` this shopper may buy now: active, of an open
    product (`product_is_open`). Reads nothing: each variant comes with its
    product (select_related); the early-access hook is asked at most once
    per request, whatever the number of variants."""
    variants = list(variants)
    if not variants:
        return set()
    early_ids = early_access_product_ids(user=user)
    now = timezone.now()
    return {
        variant.pk
        for variant in variants
        if variant.is_active
        and product_is_open(product=variant.product, early_ids=early_ids, now=now)
    }


def product_visible_queryset(*, user=None) -> QuerySet[Product]:
    """Published and launched products, plus upcoming ones an early-access
    hook opens for this user. Without a hook, or with none open to this
    user, this is `Product.objects.visible()`."""
    visible = Product.objects.visible()
    early_ids = early_access_product_ids(user=user)
    if not early_ids:
        return visible
    now = timezone.now()
    return Product.objects.published().filter(
        Q(available_from__isnull=True) | Q(available_from__lte=now) | Q(pk__in=sorted(early_ids))
    )


def product_get_for_page(*, slug: str, user=None) -> Product | None:
    """The product page's product, or None when the shopper may not see it
    (unpublished, or not launched and no early access)."""
    product = (
        product_with_ratings(Product.objects.published())
        .select_related("brand", "category")
        .filter(slug=slug)
        .first()
    )
    if product is None:
        return None
    if product_is_open(product=product, early_ids=early_access_product_ids(user=user)):
        return product
    return None


# --------------------------------------------------------------------- ratings
# Reviews live in another app, which shop does not import: it registers a
# PRODUCT_RATING_ANNOTATIONS provider (core/hooks.py) whose SQL expressions,
# correlated to the product by OuterRef("pk"), put `rating_avg` and
# `rating_count` on products in the same query, so the database filters,
# sorts and paginates by rating. With no provider nothing here adds SQL.
def ratings_enabled() -> bool:
    return bool(hooks.get_hooks(hooks.PRODUCT_RATING_ANNOTATIONS))


def product_with_ratings(queryset: QuerySet[Product]) -> QuerySet[Product]:
    """`rating_avg` (None without reviews) and `rating_count` (0 without) on
    every product; the queryset unchanged without a provider."""
    if "rating_avg" in queryset.query.annotations:
        return queryset
    for provider in hooks.get_hooks(hooks.PRODUCT_RATING_ANNOTATIONS):
        expressions = provider()
        return queryset.annotate(
            rating_avg=expressions["rating_avg"],
            rating_count=Coalesce(expressions["rating_count"], 0),
        )
    return queryset


def min_rating_choices() -> list[tuple[int, str]]:
    """The "4 stars & up" filter's choices; empty before reviews exist."""
    if not ratings_enabled():
        return []
    return [
        (
            stars,
            ngettext("%(stars)d star & up", "%(stars)d stars & up", stars) % {"stars": stars},
        )
        for stars in MIN_RATING_CHOICES
    ]


# ----------------------------------------------------------------------- cards
# The columns a card shows (product_card.html, the API's ProductCardSerializer).
CARD_FIELDS = (
    "name",
    "slug",
    "min_price",
    "in_stock",
    "brand",
    "brand__name",
    "brand__slug",
    "category",
    "category__name",
    "category__slug",
)


def product_cards(queryset: QuerySet[Product]) -> QuerySet[Product]:
    """Everything a product card shows, in two queries for any number of
    cards: the products with brand and category, and their first images.
    Only the card's columns are read: description, its HTML and the search
    vector are most of a product row on a large catalog."""
    first_image = ProductImage.objects.only(
        "pk", "product_id", "image", "card", "thumb", "alt_text", "position"
    ).order_by("position", "pk")[:1]
    return (
        product_with_ratings(queryset)
        .select_related("brand", "category")
        .only(*CARD_FIELDS)
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
    min_rating: int | None = None  # applied only while ratings are enabled
    sort: str = DEFAULT_SORT

    @property
    def active(self) -> bool:
        return bool(
            self.min_price is not None
            or self.max_price is not None
            or self.brands
            or self.tag
            or self.in_stock
            or self.min_rating is not None
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
    if filters.min_rating is not None and ratings_enabled():
        queryset = product_with_ratings(queryset).filter(rating_avg__gte=filters.min_rating)
    return queryset


def sort_is_known(sort: str | None) -> bool:
    """A sort key the listing pages offer right now."""
    return sort in SORTS or (sort == RATING_SORT and ratings_enabled())


def product_sort(*, queryset: QuerySet[Product], sort: str) -> QuerySet[Product]:
    """Unknown keys sort by popularity; so does the rating sort without a
    rating provider."""
    if sort == RATING_SORT and ratings_enabled():
        # Unrated products last; ties by number of ratings, then popularity.
        return product_with_ratings(queryset).order_by(
            F("rating_avg").desc(nulls_last=True),
            "-rating_count",
            *SORTS[DEFAULT_SORT][1],
        )
    ordering = SORTS.get(sort, SORTS[DEFAULT_SORT])[1]
    return queryset.order_by(*ordering)


def sort_choices() -> list[tuple[str, str]]:
    choices = [(key, label) for key, (label, _ordering) in SORTS.items()]
    if ratings_enabled():
        choices.insert(1, (RATING_SORT, _("Top rated")))
    return choices


@dataclass
class Facets:
    brands: list[dict] = field(default_factory=list)
    tags: list[dict] = field(default_factory=list)


LISTING_CACHE_SECONDS = 300  # backstop: catalogue writes change the generation


def catalogue_is_shared(*, user=None) -> bool:
    """Whether this visitor sees the public catalogue, so what is computed
    from it may be shared with every other visitor: false only for a member
    an early-access hook opens products to (a non-empty
    `early_access_product_ids`)."""
    return not early_access_product_ids(user=user)


def listing_cache_scope(*, category: Category | None, user=None) -> str | None:
    """What the facets and the unfiltered count of a listing may be cached
    under: the category, when the listing is the same for every visitor
    (`catalogue_is_shared`); None (never cached) otherwise."""
    if not catalogue_is_shared(user=user):
        return None
    return f"c{category.pk}" if category is not None else "all"


def _listing_cache_key(scope: str, part: str) -> str:
    # The catalogue generation (shop/cache.py) changes with every catalogue or
    # stock write, which orphans every cached facet list and count at once.
    # Names (of tags) are per language.
    return f"shop:listing:v1:{catalog_generation()}:{get_language()}:{scope}:{part}"


def product_facets(
    *, queryset: QuerySet[Product], limit: int = 20, cache_scope: str | None = None
) -> Facets:
    """Brands and tags present in a listing (before filtering), with counts.
    With `cache_scope` (see `listing_cache_scope`) they are read from the
    cache until the catalogue changes."""
    if cache_scope is None:
        return _facets_query(queryset=queryset, limit=limit)
    key = _listing_cache_key(cache_scope, f"facets:{limit}")
    facets = cache.get(key)
    if facets is None:
        facets = _facets_query(queryset=queryset, limit=limit)
        cache.set(key, facets, LISTING_CACHE_SECONDS)
    return facets


def _facets_query(*, queryset: QuerySet[Product], limit: int) -> Facets:
    """Four small queries. Counts are grouped by id first and the names read
    afterwards for the few ids found: joining names before grouping made
    PostgreSQL match every product against every brand (bench/README.md)."""
    base = queryset.order_by()
    brand_counts = dict(
        base.filter(brand__isnull=False)
        .values("brand_id")
        .annotate(count=Count("pk"))
        .values_list("brand_id", "count")
    )
    brands = (
        [
            {"slug": brand.slug, "name": brand.name, "count": brand_counts[brand.pk]}
            for brand in Brand.objects.filter(pk__in=brand_counts).order_by("name")[:limit]
        ]
        if brand_counts
        else []
    )
    # From the tagged items of the listing's products, by their indexed
    # product id.
    tagged = TaggedProduct.objects.filter(content_object_id__in=base.values("pk"))
    tag_counts = dict(
        tagged.order_by()
        .values("tag_id")
        .annotate(count=Count("pk"))
        .values_list("tag_id", "count")
    )
    tags = (
        sorted(
            (
                {"slug": tag.slug, "name": tag.name, "count": tag_counts[tag.pk]}
                for tag in ProductTag.objects.filter(pk__in=tag_counts)
            ),
            key=lambda row: (-row["count"], row["name"]),
        )[:limit]
        if tag_counts
        else []
    )
    return Facets(brands=brands, tags=tags)


def product_page(
    *, queryset: QuerySet[Product], page: str | int | None, count_cache_scope: str | None = None
) -> Page:
    """One page of cards: a count and two queries, whatever the page size.
    With `count_cache_scope` (an unfiltered listing's `listing_cache_scope`)
    the count comes from the cache until the catalogue changes."""
    paginator = Paginator(product_cards(queryset), PAGE_SIZE)
    if count_cache_scope is not None:
        key = _listing_cache_key(count_cache_scope, "count")
        count = cache.get(key)
        if count is None:
            count = paginator.count
            cache.set(key, count, LISTING_CACHE_SECONDS)
        paginator.count = count  # a cached_property: set, it is not computed
    return paginator.get_page(page)


# --------------------------------------------------------------------- search
def _is_postgres() -> bool:
    return connection.vendor == "postgresql"


def _uses_search_operators(query: str) -> bool:
    words = query.lower().split()
    return '"' in query or "or" in words or any(word.startswith("-") for word in words)


# With this in DATABASES["default"]["OPTIONS"]["options"] every connection
# starts with the threshold and searches skip setting it.
TRIGRAM_CONNECTION_OPTION = f"-c pg_trgm.strict_word_similarity_threshold={TRIGRAM_THRESHOLD}"


def _trigram_threshold_set() -> None:
    """`query <<% name` holds when strict_word_similarity(query, name) reaches
    `pg_trgm.strict_word_similarity_threshold`, 0.5 by default: too strict for
    a one-letter typo in a short word ("sambel" is 0.4 from "Sambal"). The
    setting belongs to the database session, so unless the connection options
    set it, it is set with each search (a sub-millisecond round trip) rather
    than trusted from the connection's past."""
    if TRIGRAM_CONNECTION_OPTION in connection.settings_dict.get("OPTIONS", {}).get("options", ""):
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('pg_trgm.strict_word_similarity_threshold', %s, false)",
            [str(TRIGRAM_THRESHOLD)],
        )


def product_search(*, query: str, base: QuerySet[Product]) -> QuerySet[Product]:
    """Products matching `query`, best first.

    PostgreSQL: the weighted full-text vector (name A, brand and tags B,
    description C) ranked by SearchRank, OR a name whose words are
    trigram-similar to the query, so a typo ("batk") still finds "Batik". Both
    conditions are index operators (`@@` on the tsvector GIN index, `<<%` on
    the trigram GIN index of name), so PostgreSQL ORs two bitmap index scans
    instead of computing the similarity of every product; the similarity is
    computed for the matches only, to order them. (It used to be
    GREATEST(similarity, strict_word_similarity) >= 0.3; the strict word
    similarity is never below the whole-name similarity, so the matches are
    the same.) SQLite: every word must appear in the name, description, brand
    or a tag; name matches first."""
    query = " ".join(query.split())
    if not query:
        return base.none()
    if _is_postgres():
        search_query = SearchQuery(query, config="simple", search_type="websearch")
        matches = Q(search_vector=search_query)
        if not _uses_search_operators(query):
            # Typo tolerance, unless the shopper asked for exact words ("-scarf").
            _trigram_threshold_set()
            matches |= Q(name__trigram_strict_word_similar=query)
        return (
            base.filter(matches)
            .annotate(
                rank=SearchRank(F("search_vector"), search_query),
                similarity=TrigramStrictWordSimilarity(query, "name"),
            )
            .order_by("-rank", "-similarity", "-sales_count", "-pk")
        )
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
