"""Storefront pages: home, category listing, product, search and the
suggest-as-you-type fragment. Views parse input, call selectors and render."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, path, reverse
from django.utils.html import strip_tags
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from core import hooks, pagecache
from core.money import format_money
from shop import selectors
from shop.cache import CATALOG, catalog_generation, product_namespace
from shop.forms import ListingForm
from shop.models import StockAlert, WishlistItem
from shop.viewcounts import product_view_record

RECENTLY_VIEWED_COOKIE = "shop_recent"
RECENTLY_VIEWED_MAX_AGE = 30 * 24 * 60 * 60
QUERY_MAX_LENGTH = 100


def _cart_add_url() -> str:
    # The cart lives in another module; the page still renders without it.
    try:
        return reverse("shop:cart_add")
    except NoReverseMatch:
        return "#"


def _recently_viewed_ids(request: HttpRequest) -> list[int]:
    """Kept in a signed cookie rather than the database session: recording a
    product view must not turn a GET into a session-table write."""
    raw = request.get_signed_cookie(
        RECENTLY_VIEWED_COOKIE, default="", max_age=RECENTLY_VIEWED_MAX_AGE
    )
    ids: list[int] = []
    for part in (raw or "").split(",")[: selectors.RECENTLY_VIEWED_MAX]:
        if part.isdigit():
            ids.append(int(part))
    return ids


def _remember_viewed(request: HttpRequest, response: HttpResponse, ids: list[int]) -> None:
    response.set_signed_cookie(
        RECENTLY_VIEWED_COOKIE,
        ",".join(str(pk) for pk in ids),
        max_age=RECENTLY_VIEWED_MAX_AGE,
        # Secure wherever the session cookie is (production), or on https.
        secure=settings.SESSION_COOKIE_SECURE or request.is_secure(),
        httponly=True,
        samesite="Lax",
    )


def meta_description(product) -> str:
    if product.seo_description:
        return product.seo_description
    text = " ".join(strip_tags(product.description_html or product.description).split())
    return Truncator(text).chars(155)


# -------------------------------------------------------------- page cache
RECENTLY_VIEWED_HOLE = pagecache.hole("recentlyviewed")


def _page_cache(request: HttpRequest, **options) -> pagecache.PageCache:
    return pagecache.PageCache(request, namespace=CATALOG, **options)


def _render_for_cache(
    request: HttpRequest, page: pagecache.PageCache, template: str, context: dict
) -> HttpResponse:
    return render(request, template, {**context, **page.context()})


def _fill_visitor_holes(
    request: HttpRequest,
    page: pagecache.PageCache,
    response: HttpResponse,
    holes: dict | None = None,
) -> HttpResponse:
    # The header's cart badge is a site hole (ShopConfig.ready), filled by
    # the page cache itself.
    return page.fill(response, holes or {})


def _shared_fragment(request: HttpRequest, name: str, render_fragment) -> str:
    """HTML every visitor of the public catalogue sees alike (card lists):
    rendered once per catalogue generation and language, and reused by every
    render of the page, a signed-in member's included. Not shared when an
    early-access hook may open upcoming products to this member."""
    if not selectors.catalogue_is_shared(user=request.user):
        return render_fragment()
    key = f"shop:fragment:v1:{catalog_generation()}:{get_language()}:{name}"
    html = cache.get(key)
    if html is None:
        html = render_fragment()
        cache.set(key, html, selectors.LISTING_CACHE_SECONDS)
    return mark_safe(html)


# ------------------------------------------------------------------- views
@require_safe
def home(request: HttpRequest) -> HttpResponse:
    depends = tuple(
        namespace for fn in hooks.get_hooks(hooks.HOME_PAGE_NAMESPACES) for namespace in fn()
    )
    page = _page_cache(request, depends=depends)
    if (hit := page.get()) is None:
        base = selectors.product_visible_queryset(user=request.user)

        def catalogue_lists() -> str:
            return render_to_string(
                "shop/catalog/_home_lists.html",
                {
                    "featured": selectors.products_featured(base=base),
                    "new_arrivals": selectors.products_new(base=base),
                    "best_sellers": selectors.products_best_selling(base=base),
                },
                request=request,
            )

        context = {
            "for_you": selectors.products_for_you(user=request.user, base=base),
            "catalogue_lists": _shared_fragment(request, "home", catalogue_lists),
            "categories": list(selectors.category_roots()),
            "home_sections": [
                section
                for fn in hooks.get_hooks(hooks.HOME_SECTIONS)
                for section in (fn(request=request) or [])
            ],
        }
        hit = page.store(_render_for_cache(request, page, "shop/catalog/home.html", context))
    return _fill_visitor_holes(request, page, hit[0])


def _listing_is_plain(request: HttpRequest) -> bool:
    """An unfiltered listing (at most a known sort and a page number): the
    pages worth storing, and a bounded set of them."""
    sort = request.GET.get("sort")
    page = request.GET.get("page")
    return (sort is None or selectors.sort_is_known(sort)) and (
        page is None or (page.isdigit() and len(page) <= 3)
    )


@require_safe
def product_list(request: HttpRequest, slug: str | None = None) -> HttpResponse:
    """All products (`/shop/`) or one category with its descendants."""
    page_cache = _page_cache(request, params=("sort", "page"), allow=_listing_is_plain(request))
    if (hit := page_cache.get()) is not None:
        return _fill_visitor_holes(request, page_cache, hit[0])
    category = None
    breadcrumbs: list = []
    children: list = []
    listing = selectors.product_visible_queryset(user=request.user)
    if slug is not None:
        category = selectors.category_get(slug=slug)
        if category is None:
            raise Http404(_("No such category."))
        breadcrumbs = selectors.category_breadcrumbs(category=category)
        children = list(selectors.category_children(category=category))
        listing = selectors.category_products(category=category, base=listing)
    else:
        children = list(selectors.category_roots())

    form = ListingForm(request.GET)
    filters = form.filters()
    # Facets and the unfiltered count are the same for every visitor of the
    # listing: cached until the catalogue changes.
    scope = selectors.listing_cache_scope(category=category, user=request.user)
    facets = selectors.product_facets(queryset=listing, cache_scope=scope)
    filtered = selectors.product_filter(queryset=listing, filters=filters)
    page = selectors.product_page(
        queryset=selectors.product_sort(queryset=filtered, sort=filters.sort),
        page=request.GET.get("page"),
        count_cache_scope=None if filters.active else scope,
    )

    def render_grid() -> str:
        return render_to_string(
            "shop/includes/product_grid.html", {"products": page.object_list}, request=request
        )

    # The 24 cards of a plain listing page are the same for every visitor of
    # it, members included: rendered once per catalogue generation.
    products_html = (
        _shared_fragment(request, f"grid:{scope}:{filters.sort}:{page.number}", render_grid)
        if scope is not None and not filters.active
        else render_grid()
    )
    context = {
        "category": category,
        "breadcrumbs": breadcrumbs,
        "children": children,
        "form": form,
        "filters": filters,
        "facets": facets,
        "page": page,
        "products_html": products_html,
        "sort_choices": selectors.sort_choices(),
        "canonical_url": request.build_absolute_uri(
            category.get_absolute_url() if category else reverse("shop:index")
        ),
    }
    response = _render_for_cache(request, page_cache, "shop/catalog/product_list.html", context)
    return _fill_visitor_holes(request, page_cache, page_cache.store(response)[0])


@require_safe
def product_detail(request: HttpRequest, slug: str) -> HttpResponse:
    # The page is the same for every anonymous visitor; their cart badge and
    # "recently viewed" are filled into it on every response. A stock move of
    # this product orphans it without touching other pages (shop/cache.py).
    page = _page_cache(request, depends=(product_namespace(slug),))
    if (hit := page.get()) is None:
        product = selectors.product_get_for_page(slug=slug, user=request.user)
        if product is None:
            raise Http404(_("No such product."))
        response = _render_for_cache(
            request, page, "shop/catalog/product_detail.html", _product_context(request, product)
        )
        hit = page.store(response, meta={"product_id": product.pk})
    response, meta = hit
    product_id = meta["product_id"]
    # Cache only: the view count reaches the database in a periodic task.
    product_view_record(product_id=product_id)

    recent_ids = _recently_viewed_ids(request)
    response = _fill_visitor_holes(
        request,
        page,
        response,
        {RECENTLY_VIEWED_HOLE: lambda: _recently_viewed_html(request, recent_ids, product_id)},
    )
    _remember_viewed(
        request, response, selectors.recently_viewed_push(ids=recent_ids, product_id=product_id)
    )
    return response


def _recently_viewed_html(request: HttpRequest, ids: list[int], product_id: int) -> str:
    ids = [pk for pk in ids if pk != product_id]
    if not ids:
        return ""  # no query for a first visit
    base = selectors.product_visible_queryset(user=request.user)
    products = selectors.products_recently_viewed(ids=ids, base=base)
    if not products:
        return ""
    return render_to_string(
        "shop/catalog/_recently_viewed.html", {"recently_viewed": products}, request=request
    )


def _product_sections(request: HttpRequest, product) -> list[dict]:
    """Sections other apps put below the product (reviews, questions), each
    with its tab; none without a provider (core.hooks.PRODUCT_PAGE_SECTIONS)."""
    sections: list[dict] = []
    for provider in hooks.get_hooks(hooks.PRODUCT_PAGE_SECTIONS):
        sections.extend(provider(request=request, product=product) or [])
    return sections


def _product_context(request: HttpRequest, product) -> dict:
    base = selectors.product_visible_queryset(user=request.user)
    variants = selectors.product_variants(product=product)
    variant_data = []
    for variant in variants:
        label, level = selectors.stock_status(available=variant.available)
        variant.stock_label, variant.stock_level = label, level
        variant_data.append(
            {
                "id": variant.pk,
                "label": variant.options_label,
                "price": format_money(variant.price),
                "compare_at": format_money(variant.compare_at_price) if variant.on_sale else "",
                "available": variant.available,
                "status": label,
                "level": level,
            }
        )
    selected = next((v for v in variants if v.available > 0), variants[0] if variants else None)
    images = selectors.product_images(product=product)
    sold_out_variants = [v for v in variants if v.available < 1]
    context = {
        "product": product,
        "breadcrumbs": selectors.category_breadcrumbs(category=product.category),
        "images": images,
        "main_image": images[0] if images else None,
        "variants": variants,
        "variant_data": variant_data,
        "selected": selected,
        "sold_out": not any(v.available > 0 for v in variants),
        "tags": list(product.tags.all()),
        "catalogue_lists": _shared_fragment(
            request,
            f"product:{product.pk}",
            lambda: render_to_string(
                "shop/catalog/_product_lists.html",
                {
                    "product": product,
                    "related": selectors.products_related(product=product, base=base),
                    "bought_together": selectors.products_bought_together(
                        product=product, base=base
                    ),
                },
                request=request,
            ),
        ),
        "recently_viewed_hole": RECENTLY_VIEWED_HOLE,
        "product_sections": _product_sections(request, product),
        "cart_add_url": _cart_add_url(),
        "store_currency": settings.STORE_CURRENCY,
        "canonical_url": request.build_absolute_uri(product.get_absolute_url()),
        "meta_description": meta_description(product),
        "sold_out_variants": sold_out_variants,
    }
    if request.user.is_authenticated:
        # Only ever for a fresh render: anonymous pages are stored and shared,
        # so the template shows these inside its signed-in branches only.
        user = request.user
        context["in_wishlist"] = WishlistItem.objects.filter(user=user, product=product).exists()
        context["alerted_variant_ids"] = (
            list(
                StockAlert.objects.filter(
                    variant__in=sold_out_variants, notified_at=None, confirmed_at__isnull=False
                )
                .filter(Q(user=user) | Q(email=user.email.lower()))
                .values_list("variant_id", flat=True)
            )
            if sold_out_variants
            else []
        )
    return context


@require_safe
def search(request: HttpRequest) -> HttpResponse:
    query = " ".join(request.GET.get("q", "").split())[:QUERY_MAX_LENGTH]
    sort = request.GET.get("sort", selectors.SEARCH_SORT)
    # A visitor's search page is stored like a listing's, for a query and a
    # sort the shop knows; one that found nothing is never stored.
    page_cache = _page_cache(
        request, params=("q", "sort", "page"), allow=_search_is_storable(request, query)
    )
    if (hit := page_cache.get()) is not None:
        response = _fill_visitor_holes(request, page_cache, hit[0])
        response["X-Robots-Tag"] = "noindex"
        return response
    base = selectors.product_visible_queryset(user=request.user)
    page = None
    found = None
    if query:
        found = selectors.product_search_results(query=query, base=base)
        results = found.queryset
        if selectors.sort_is_known(sort):
            results = selectors.product_sort(queryset=results, sort=sort)
        else:
            sort = selectors.SEARCH_SORT
        page = selectors.product_page(
            queryset=results, page=request.GET.get("page"), count=found.count
        )
    context = {
        "query": query,
        "page": page,
        "products": page.object_list if page else [],
        "sort": sort,
        "sort_choices": [(selectors.SEARCH_SORT, _("Best match")), *selectors.sort_choices()],
        "corrected": found.corrected if found else "",
        "suggestion": found.suggestion if found else "",
        "suggestion_url": (
            f"{reverse('shop:search')}?{urlencode({'q': found.suggestion})}"
            if found and found.suggestion
            else ""
        ),
    }
    if page is None or not page.paginator.count:
        # Help the shopper on: categories to browse and what others buy.
        context["categories"] = list(selectors.category_roots())
        context["popular"] = selectors.products_best_selling(base=base, limit=4) or (
            selectors.products_new(base=base, limit=4)
        )
        page_cache.enabled = False  # rendered without holes, never stored
    response = _render_for_cache(request, page_cache, "shop/catalog/search.html", context)
    response = _fill_visitor_holes(request, page_cache, page_cache.store(response)[0])
    response["X-Robots-Tag"] = "noindex"
    return response


def _search_is_storable(request: HttpRequest, query: str) -> bool:
    """A query as the search box sends it (no doubled spaces, short), a known
    sort and a plain page number: popular searches are served from the page
    cache, and what visitors type into URLs cannot fill it with variants."""
    sort = request.GET.get("sort")
    page = request.GET.get("page")
    return (
        bool(query)
        and request.GET.get("q") == query
        and (sort in (None, selectors.SEARCH_SORT) or selectors.sort_is_known(sort))
        and (page is None or (page.isdigit() and len(page) <= 3))
    )


@require_safe
def search_suggest(request: HttpRequest) -> HttpResponse:
    """An HTML fragment for htmx: up to six product names for the header box."""
    query = " ".join(request.GET.get("q", "").split())[:QUERY_MAX_LENGTH]
    base = selectors.product_visible_queryset(user=request.user)
    suggestions = selectors.product_suggestions(query=query, base=base)
    return render(
        request,
        "shop/catalog/_suggestions.html",
        {"query": query, "suggestions": suggestions},
    )


urlpatterns = [
    path("", product_list, name="index"),
    path("c/<slug:slug>/", product_list, name="category"),
    path("p/<slug:slug>/", product_detail, name="product"),
    path("search/", search, name="search"),
    path("search/suggest/", search_suggest, name="search_suggest"),
]
