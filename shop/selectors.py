"""Catalog reads for the storefront pages.

Listing pages cost a constant number of queries whatever the page size:
cards read the denormalised `min_price` / `in_stock` columns, join brand and
category, and prefetch only the first (card-size) image of each product.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.search import SearchQuery, SearchRank
from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import Count, F, FloatField, Prefetch, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext_lazy as _
from modeltranslation.utils import build_localized_fieldname

from core import hooks
from core.i18n import translated_languages
from shop.cache import catalog_generation
from shop.models import (
    Brand,
    Category,
    Order,
    OrderLine,
    Product,
    ProductImage,
    ProductTag,
    SearchWord,
    TaggedProduct,
    Variant,
)
from shop.services.search_index import fts_table, vector_column, word_keys
from shop.services.search_index import words as index_words

PAGE_SIZE = 24
RECENTLY_VIEWED_MAX = 8
LOW_STOCK_THRESHOLD = 5
SUGGESTION_LIMIT = 6
# No longer read by search (typo candidates come from the word list, see
# "search" below); config/settings/base.py still sets this connection option.
TRIGRAM_THRESHOLD = 0.3
TRIGRAM_CONNECTION_OPTION = f"-c pg_trgm.strict_word_similarity_threshold={TRIGRAM_THRESHOLD}"

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


def product_cards_by_id(product_ids: Iterable[int]) -> list[dict]:
    """The PRODUCT_CARDS hook (core/hooks.py): plain cards of the published
    products among `product_ids`, in that order, for another app's page (it
    reads no shop table). Two queries, whatever the number of ids."""
    ids = list(dict.fromkeys(int(pk) for pk in product_ids))
    if not ids:
        return []
    products = product_cards(Product.objects.published().filter(pk__in=ids)).only(
        *CARD_FIELDS, "available_from"
    )
    by_id = {product.pk: product for product in products}
    cards = []
    for pk in ids:
        product = by_id.get(pk)
        if product is None:
            continue
        image = next(iter(product.card_images), None)
        cards.append(
            {
                "id": product.pk,
                "name": product.name,
                "url": product.get_absolute_url(),
                "image_url": image.card.url if image is not None and image.card else "",
                "price": product.min_price,
                "launch_at": product.available_from,
            }
        )
    return cards


def product_launches(product_ids: Iterable[int]) -> dict[int, object]:
    """The PRODUCT_LAUNCHES hook (core/hooks.py): {id: public launch or None}
    of the published products among `product_ids`, in one query."""
    ids = sorted({int(pk) for pk in product_ids})
    if not ids:
        return {}
    return dict(Product.objects.published().filter(pk__in=ids).values_list("pk", "available_from"))


def upcoming_product_ids(*, limit: int = 20) -> list[int]:
    """The UPCOMING_PRODUCTS hook (core/hooks.py): the published products
    whose public launch is still to come, soonest first. One query."""
    return list(
        Product.objects.published()
        .filter(available_from__gt=timezone.now())
        .order_by("available_from", "pk")
        .values_list("pk", flat=True)[: max(limit, 0)]
    )


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
    *,
    queryset: QuerySet[Product],
    page: str | int | None,
    count_cache_scope: str | None = None,
    count: int | None = None,
) -> Page:
    """One page of cards: a count and two queries, whatever the page size.
    With `count_cache_scope` (an unfiltered listing's `listing_cache_scope`)
    the count comes from the cache until the catalogue changes; a `count`
    the caller already has is not counted again."""
    paginator = Paginator(product_cards(queryset), PAGE_SIZE)
    if count is not None:
        paginator.count = count  # a cached_property: set, it is not computed
    if count_cache_scope is not None:
        key = _listing_cache_key(count_cache_scope, "count")
        count = cache.get(key)
        if count is None:
            count = paginator.count
            cache.set(key, count, LISTING_CACHE_SECONDS)
        paginator.count = count  # a cached_property: set, it is not computed
    return paginator.get_page(page)


# --------------------------------------------------------------------- search
# One index per language (shop/services/search_index.py): PostgreSQL's
# weighted tsvector column with its GIN index, SQLite's FTS5 table. The exact
# words are matched first; only when they find fewer than a page of products
# are the typed words corrected against the catalogue's word list and the
# search run again, so a common query never pays for typo tolerance.
SEARCH_THIN = PAGE_SIZE
# Nearest candidates per typed word whose product counts are compared.
CORRECTION_CANDIDATES = 4
# Counting a candidate word's products stops here: enough to rank them.
CORRECTION_COUNT_CAP = 100
# A word the catalogue has is suggested away only for a neighbour this many
# times more common (a thin match for "sambel", many for "sambal").
RARE_WORD_FACTOR = 3
# SQLite's bm25 weights for name, keywords (tags, brand), description: the
# A / B / C of PostgreSQL's vectors.
FTS5_WEIGHTS = "10.0, 4.0, 1.0"
_QUERY_TOKEN = re.compile(r'"([^"]*)"|(\S+)')


def _is_postgres() -> bool:
    return connection.vendor == "postgresql"


def _uses_search_operators(query: str) -> bool:
    words = query.lower().split()
    return '"' in query or "or" in words or any(word.startswith("-") for word in words)


def search_language() -> str:
    """The catalogue language searched: the active one, else the default."""
    languages = translated_languages()
    active = get_language() or settings.LANGUAGE_CODE
    for code in (active, active.split("-")[0]):
        if code in languages:
            return code
    return settings.LANGUAGE_CODE


def _fts5_phrase(text: str) -> str:
    return '"' + " ".join(re.findall(r"\w+", text.lower())) + '"'


def fts5_expression(query: str) -> str:
    """PostgreSQL's websearch syntax in FTS5's: every word must appear,
    "a phrase" in order, -word must not, `or` between alternatives. Every
    term is quoted, so nothing a shopper types is FTS5 syntax. "" when the
    query has no word to look for."""
    groups: list[list[str]] = [[]]
    excluded: list[str] = []
    for phrase, word in _QUERY_TOKEN.findall(query):
        text = phrase or word
        if not phrase and word.lower() == "or":
            if groups[-1]:
                groups.append([])
            continue
        term = _fts5_phrase(text)
        if term == '""':
            continue
        (excluded if not phrase and word.startswith("-") else groups[-1]).append(term)
    groups = [group for group in groups if group]
    if not groups:
        return ""
    expression = " OR ".join(f"({' AND '.join(group)})" for group in groups)
    if excluded:
        expression = f"({expression}) NOT ({' OR '.join(excluded)})"
    return expression


def _fts5_sql(sql: str, expression: str, **options) -> RawSQL:
    # The table name comes from settings.LANGUAGES; the shopper's words are
    # the parameter, quoted by fts5_expression.
    return RawSQL(sql, [expression], **options)  # noqa: S611


def _fts5_ids(table: str, expression: str) -> RawSQL:
    return _fts5_sql(f"SELECT rowid FROM {table} WHERE {table} MATCH %s", expression)  # noqa: S608


def _index_match(base: QuerySet[Product], query: str, language: str) -> QuerySet[Product]:
    """`base` narrowed to the index's matches, each with its `search_rank`
    (higher is better), best first."""
    if _is_postgres():
        search_query = SearchQuery(query, config="simple", search_type="websearch")
        column = vector_column(language)
        matches = base.filter(**{column: search_query}).annotate(
            search_rank=SearchRank(F(column), search_query)
        )
    else:
        expression = fts5_expression(query)
        if not expression:
            return base.none()
        table = fts_table(language)
        matches = base.filter(pk__in=_fts5_ids(table, expression)).annotate(
            search_rank=_fts5_sql(
                f"SELECT -bm25({table}, {FTS5_WEIGHTS}) FROM {table} "  # noqa: S608
                f'WHERE {table} MATCH %s AND rowid = "shop_product"."id"',
                expression,
                output_field=FloatField(),
            )
        )
    return matches.order_by("-search_rank", "-sales_count", "-pk")


def edit_distance(a: str, b: str) -> int:
    """Optimal string alignment distance: insertions, deletions,
    substitutions and swaps of two neighbouring letters cost one each."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                value = min(value, previous2[j - 2] + 1)
            current.append(value)
        previous2, previous = previous, current
    return previous[-1]


def _word_counts(words: Sequence[str], language: str) -> dict[str, tuple[int, int]]:
    """For each word, in one query: how many products have it in their name,
    tags or brand, and how many anywhere (each count stops at
    CORRECTION_COUNT_CAP)."""
    cap = CORRECTION_COUNT_CAP
    if _is_postgres():
        column = vector_column(language)
        part = (
            "SELECT %s, "  # noqa: S608 - column from settings.LANGUAGES
            f"(SELECT COUNT(*) FROM (SELECT 1 FROM shop_product "
            f"WHERE {column} @@ to_tsquery('simple', %s) LIMIT {cap}) named), "
            f"(SELECT COUNT(*) FROM (SELECT 1 FROM shop_product "
            f"WHERE {column} @@ to_tsquery('simple', %s) LIMIT {cap}) anywhere)"
        )
        params: list = [v for word in words for v in (word, f"'{word}':AB", f"'{word}'")]
    else:
        table = fts_table(language)
        part = (
            "SELECT %s, "  # noqa: S608 - table from settings.LANGUAGES
            f"(SELECT COUNT(*) FROM (SELECT 1 FROM {table} WHERE {table} MATCH %s LIMIT {cap})), "
            f"(SELECT COUNT(*) FROM (SELECT 1 FROM {table} WHERE {table} MATCH %s LIMIT {cap}))"
        )
        params = [
            v
            for word in words
            for v in (word, f"{{name keywords}} : {_fts5_phrase(word)}", _fts5_phrase(word))
        ]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join([part] * len(words)), params)
        return {word: (named, anywhere) for word, named, anywhere in cursor.fetchall()}


def search_correction(*, query: str, language: str) -> str | None:
    """The query with each word the catalogue does not have replaced by the
    nearest word it has (candidates share a one-letter deletion with it: one
    edit away, or two for words over four letters; among equally near words,
    the one more product names, tags and brands have, then more products),
    and a word it has by a word one edit away that RARE_WORD_FACTOR times
    more products have ("sambel" -> "sambal"); None when nothing changes.
    Two queries: the word list, then the candidates' product counts."""
    typed = re.findall(r"\w+", query.lower())
    eligible = [word for word in dict.fromkeys(typed) if index_words(word)]
    if not eligible:
        return None
    keys = sorted(set().union(*(word_keys(word) for word in eligible)))
    listed = set(
        SearchWord.objects.filter(language=language, key__in=keys).values_list("word", flat=True)
    )
    nearest: dict[str, list[str]] = {}
    for word in eligible:
        limit = 1 if word in listed or len(word) <= 4 else 2
        scored = sorted(
            (distance, candidate)
            for candidate in listed
            if candidate != word and (distance := edit_distance(word, candidate)) <= limit
        )
        if scored:
            best = scored[0][0]
            nearest[word] = [c for d, c in scored if d == best][:CORRECTION_CANDIDATES]
    if not nearest:
        return None
    asked = {c for candidates in nearest.values() for c in candidates}
    asked |= {word for word in nearest if word in listed}
    counts = _word_counts(sorted(asked), language)
    replacements = {}
    for word, candidates in nearest.items():
        found = max(candidates, key=lambda c: (counts.get(c, (0, 0)), [-ord(ch) for ch in c]))
        anywhere = counts.get(found, (0, 0))[1]
        needed = RARE_WORD_FACTOR * counts.get(word, (0, 0))[1] if word in listed else 1
        if anywhere >= max(needed, 1):
            replacements[word] = found
    if not replacements:
        return None
    return " ".join(replacements.get(word, word) for word in typed)


@dataclass(frozen=True)
class SearchResults:
    """`queryset` is ranked, best first; `count` its size. `corrected`: the
    typed words found nothing, these are results for the corrected words.
    `suggestion`: the typed words found a few, the corrected words find more."""

    query: str
    queryset: QuerySet[Product]
    count: int
    corrected: str = ""
    suggestion: str = ""


def product_search_results(*, query: str, base: QuerySet[Product]) -> SearchResults:
    """Products matching `query` in the visitor's language, best first.

    The index (name A, tags and brand B, description C; a translation or,
    where it is empty, the English text) is matched and counted: two
    queries with the page. Fewer than SEARCH_THIN matches, and a query
    without search operators ("-scarf", "a or b", quotes): the words are
    corrected against the word list ("batk" -> "batik") and, when that finds
    more, searched again; three or four more queries, none of them computing
    a similarity over products."""
    query = " ".join(query.split())
    if not query:
        return SearchResults(query=query, queryset=base.none(), count=0)
    language = search_language()
    results = _index_match(base, query, language)
    count = results.count()
    if count >= SEARCH_THIN or _uses_search_operators(query):
        return SearchResults(query=query, queryset=results, count=count)
    correction = search_correction(query=query, language=language)
    if correction is None or correction == query.lower():
        return SearchResults(query=query, queryset=results, count=count)
    corrected = _index_match(base, correction, language)
    corrected_count = corrected.count()
    if corrected_count <= count:
        return SearchResults(query=query, queryset=results, count=count)
    if count == 0:
        return SearchResults(
            query=query, queryset=corrected, count=corrected_count, corrected=correction
        )
    return SearchResults(query=query, queryset=results, count=count, suggestion=correction)


def product_search(*, query: str, base: QuerySet[Product]) -> QuerySet[Product]:
    """The products of `product_search_results`, best first (the API's search)."""
    return product_search_results(query=query, base=base).queryset


def _name_fields() -> list[str]:
    return [build_localized_fieldname("name", language) for language in translated_languages()]


def _prefix_match(
    base: QuerySet[Product], words: Sequence[str], language: str, *, names_only: bool
) -> QuerySet[Product]:
    """Every word, the last one as a prefix ("batik sca" finds "Batik Scarf")."""
    if _is_postgres():
        weight = "A" if names_only else ""
        terms = [f"'{word}'" for word in words[:-1]] + [f"'{words[-1]}':*{weight}"]
        search_query = SearchQuery(" & ".join(terms), config="simple", search_type="raw")
        return base.filter(**{vector_column(language): search_query})
    table = fts_table(language)
    terms = [_fts5_phrase(word) for word in words[:-1]] + [f"{_fts5_phrase(words[-1])} *"]
    expression = " AND ".join(terms)
    if names_only:
        expression = f"name : ({expression})"
    return base.filter(pk__in=_fts5_ids(table, expression))


def _suggest(base: QuerySet[Product], query: str, language: str) -> list[dict]:
    words = re.findall(r"\w+", query.lower())
    if not words:
        return []
    fields = [*_name_fields(), "slug"]
    # Names that start words of the query first, best sellers first; then,
    # to fill the list, products whose tags, brand or description match.
    found = list(
        _prefix_match(base, words, language, names_only=True)
        .order_by("-sales_count", "-pk")
        .only(*fields)[:SUGGESTION_LIMIT]
    )
    if len(found) < SUGGESTION_LIMIT:
        found += list(
            _prefix_match(base, words, language, names_only=False)
            .exclude(pk__in=[p.pk for p in found])
            .order_by("-sales_count", "-pk")
            .only(*fields)[: SUGGESTION_LIMIT - len(found)]
        )
    return [{"name": product.name, "slug": product.slug} for product in found]


def product_suggestions(*, query: str, base: QuerySet[Product]) -> list[dict]:
    """Up to six names (with slugs) for the suggest-as-you-type box, in the
    visitor's language: one or two queries, and the word list's two when
    nothing starts with what was typed ("batk" suggests Batik products)."""
    query = " ".join(query.split())
    if len(query) < 2:
        return []
    language = search_language()
    found = _suggest(base, query, language)
    if not found and not _uses_search_operators(query):
        correction = search_correction(query=query, language=language)
        if correction:
            found = _suggest(base, correction, language)
    return found


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


# ---------------------------------------------------------------- purchases
# Other apps (community's "verified buyer") ask what a member really bought:
# the system decides it from paid orders, never the member.
def purchased_pairs(*, user_ids: Iterable[int], product_ids: Iterable[int]) -> set[tuple[int, int]]:
    """The (user id, product id) pairs, among these, where the member has a
    paid order containing the product. One query, whatever the sizes."""
    user_ids, product_ids = set(user_ids), set(product_ids)
    if not user_ids or not product_ids:
        return set()
    rows = (
        OrderLine.objects.filter(
            order__user_id__in=user_ids,
            order__status__in=PURCHASED_STATUSES,
            variant__product_id__in=product_ids,
        )
        .values_list("order__user_id", "variant__product_id")
        .distinct()
    )
    return set(rows)


def user_purchased(*, user_id: int | None, product_id: int | None) -> bool:
    if not user_id or not product_id:
        return False
    return (user_id, product_id) in purchased_pairs(user_ids=[user_id], product_ids=[product_id])


def buyer_ids(*, user_ids: Iterable[int]) -> set[int]:
    """The members, among these, with at least one paid order."""
    user_ids = set(user_ids)
    if not user_ids:
        return set()
    return set(
        Order.objects.filter(user_id__in=user_ids, status__in=PURCHASED_STATUSES)
        .values_list("user_id", flat=True)
        .distinct()
    )


def purchased_product_count(*, user_id: int) -> int:
    """How many different products the member has bought (paid orders)."""
    return (
        OrderLine.objects.filter(
            order__user_id=user_id,
            order__status__in=PURCHASED_STATUSES,
            variant__isnull=False,
        )
        .values("variant__product_id")
        .distinct()
        .count()
    )


def product_recent_buyer_ids(
    *, product_id: int, limit: int, exclude_user_ids: Iterable[int] = ()
) -> list[int]:
    """The members who bought the product most recently, newest first."""
    rows = (
        Order.objects.filter(
            status__in=PURCHASED_STATUSES,
            user__isnull=False,
            user__is_active=True,
            lines__variant__product_id=product_id,
        )
        .exclude(user_id__in=list(exclude_user_ids))
        .order_by("-created_at")
        .values_list("user_id", flat=True)[: limit * 5]
    )
    seen: list[int] = []
    for user_id in rows:
        if user_id not in seen:
            seen.append(user_id)
        if len(seen) == limit:
            break
    return seen
