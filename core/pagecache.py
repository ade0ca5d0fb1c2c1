"""Whole-page cache for visitors who carry no per-visitor state, with holes
filled per request.

Most storefront traffic is anonymous and cookieless (first visits, search
engines, links from chats). For such a visitor the page depends only on its
URL, the language and the content behind it, so the rendered HTML can be
stored once and served to the next one. Three things in a page are still per
request, and are left as *holes* in the stored HTML and filled on every
response:

- the CSRF token of the page's forms (each visitor gets their own secret and
  cookie, exactly as an uncached render would give them),
- the CSP nonce of the request's header,
- any view-specific hole (e.g. "recently viewed", read from the visitor's own
  cookie).

A request is served from, and stored in, the cache only when its visitor is
anonymous and has no pending flash message: a cookieless visitor, or an
anonymous one with a session (e.g. a cart, whose header badge the view fills
as a hole). Signed-in users always get a fresh render.

Freshness: every stored page records the *generation* numbers of the
namespaces it depends on (its own namespace, plus e.g. one per product it
shows in detail); writes that change what pages show call `bump(namespace)`
after their transaction commits, which orphans every page that depends on
it, and only those. A miss caused by a bump says so in the response's
`X-Page-Cache-Stale` header (the namespaces that moved), and every bump logs
`page_cache_bumped`. `settings.PAGE_CACHE_SECONDS` is the backstop TTL (and
0 turns the cache off); it also bounds how long a page can stay stale when a
bump is lost because the cache was unreachable.

Usage in a view:

    page = PageCache(request, namespace="catalog")
    if (hit := page.get()) is None:
        response = render(request, "x.html", {**context, **page.context()})
        hit = page.store(response, meta={"product_id": product.pk})
    response, meta = hit
    response = page.fill(response, {RECENT_HOLE: recent_html})
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

import structlog
from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.middleware.csp import get_nonce
from django.middleware.csrf import get_token
from django.utils.csp import CONTEXT_KEY as CSP_CONTEXT_KEY
from django.utils.translation import get_language

# Markers that cannot occur in real content (letters and digits only, so HTML
# escaping leaves them intact inside attributes).
CSRF_HOLE = "kampungholecsrf7f3a9c"
NONCE_HOLE = "kampungholenonce5e21b8"

_CACHE_VERSION = 3  # bump when the stored format changes

logger = structlog.get_logger(__name__)


def hole(name: str) -> str:
    """A placeholder for a view-specific per-request fragment."""
    if not name.isalnum():
        raise ValueError("hole names are letters and digits")
    return f"kampunghole{name}0d4e"


# Per-visitor parts of the site's own layout (the header's cart badge), left
# as holes in every stored page whichever view stored it, and filled on every
# response: context name -> (marker, fn(request) -> HTML).
_site_holes: dict[str, tuple[str, Callable[[HttpRequest], str]]] = {}


def site_hole_register(
    context_name: str, marker_name: str, fn: Callable[[HttpRequest], str]
) -> str:
    """Declare a per-visitor fragment of base.html: a stored page gets the
    marker in the template variable `context_name`, and `fn(request)`'s HTML
    in its place on every response. Returns the marker."""
    marker = hole(marker_name)
    _site_holes[context_name] = (marker, fn)
    return marker


def _generation_key(namespace: str) -> str:
    return f"{namespace}:generation"


def generation(namespace: str) -> int:
    """The namespace's current generation. It starts at a time-based value so
    that a cache that lost the counter never reuses an old generation's pages."""
    key = _generation_key(namespace)
    value = cache.get(key)
    if value is None:
        cache.add(key, time.time_ns() // 1_000_000, timeout=None)
        value = cache.get(key, 0)
    return int(value)


def bump(*namespaces: str, reason: str = "") -> None:
    """Orphan every cached page that depends on one of `namespaces`. Call it
    for any write that changes what those pages show; inside a transaction it
    runs after the commit (a page rendered before the commit must not be
    stored under the new generation).

    It never raises into the caller's request: the write has committed, and a
    cache that fails here costs at most `PAGE_CACHE_SECONDS` of staleness."""
    if not namespaces:
        return

    def _bump() -> None:
        try:
            for namespace in namespaces:
                key = _generation_key(namespace)
                try:
                    cache.incr(key)
                except ValueError:  # missing: start a fresh, never-used generation
                    cache.set(key, time.time_ns() // 1_000_000, timeout=None)
        except Exception:
            logger.warning("page_cache_bump_failed", namespaces=namespaces, exc_info=True)
            return
        logger.info("page_cache_bumped", namespaces=namespaces, reason=reason)

    transaction.on_commit(_bump, robust=True)


def request_is_cacheable(request: HttpRequest) -> bool:
    if getattr(settings, "PAGE_CACHE_SECONDS", 0) <= 0:
        return False
    if request.method not in ("GET", "HEAD"):
        return False
    # htmx requests may ask for partial renders; they are never stored.
    if request.headers.get("HX-Request") == "true":
        return False
    # (An emptied cookie counts as absent: it is how a cookie is deleted.)
    if request.COOKIES.get(getattr(settings, "MESSAGE_COOKIE_NAME", "messages")):
        return False
    if not request.COOKIES.get(settings.SESSION_COOKIE_NAME):
        return True  # no session: anonymous, nothing pending
    # One session read tells whether the visitor signed in or has a message
    # waiting (len() looks without marking them shown).
    user = getattr(request, "user", None)
    if user is None or user.is_authenticated:
        return False
    return not len(messages.get_messages(request))


MAX_PARAM_LENGTH = 20


class PageCache:
    """`params` are the query parameters the page may vary on. A request with
    any other parameter, a repeated one or a long value is rendered but never
    stored, so the number of stored pages stays bounded by what the shop has
    (categories x sorts x pages), not by what visitors type into URLs."""

    def __init__(
        self,
        request: HttpRequest,
        *,
        namespace: str,
        params: tuple[str, ...] = (),
        allow: bool = True,
        depends: tuple[str, ...] = (),
    ) -> None:
        self.request = request
        self.namespace = namespace
        # The page is fresh while none of these namespaces was bumped.
        self.namespaces = (namespace, *depends)
        self.params = params
        self.enabled = allow and request_is_cacheable(request) and self._params_ok()
        self._key: str | None = None
        self._generations: tuple[int, ...] | None = None
        self._stale: list[str] = []

    def _params_ok(self) -> bool:
        query = self.request.GET
        for name in query:
            values = query.getlist(name)
            if name not in self.params or len(values) != 1:
                return False
            if len(values[0]) > MAX_PARAM_LENGTH:
                return False
        return True

    @property
    def key(self) -> str:
        if self._key is None:
            # Scheme and host too: canonical and OpenGraph URLs are absolute.
            url = self.request.build_absolute_uri().encode()
            digest = hashlib.blake2b(url, digest_size=16).hexdigest()
            self._key = f"page:{_CACHE_VERSION}:{self.namespace}:{get_language()}:{digest}"
        return self._key

    def context(self) -> dict[str, Any]:
        """Extra template context for a render that may be stored: the
        per-request values become holes. Empty when the page is not cached."""
        if not self.enabled:
            return {}
        return {
            "csrf_token": CSRF_HOLE,
            CSP_CONTEXT_KEY: NONCE_HOLE,
            **{name: marker for name, (marker, _fn) in _site_holes.items()},
        }

    def get(self) -> tuple[HttpResponse, dict[str, Any]] | None:
        """The stored page if it belongs to the current generations. One cache
        round trip reads the generations and the page."""
        if not self.enabled:
            return None
        keys = [_generation_key(namespace) for namespace in self.namespaces]
        found = cache.get_many([*keys, self.key])
        self._generations = tuple(
            int(found[key]) if found.get(key) is not None else generation(namespace)
            for key, namespace in zip(keys, self.namespaces, strict=True)
        )
        stored = found.get(self.key)
        if stored is None:
            return None
        if stored[0] != self._generations:
            self._stale = [
                namespace
                for namespace, old, new in zip(
                    self.namespaces, stored[0], self._generations, strict=False
                )
                if old != new
            ]
            return None
        _generations, content, content_type, meta = stored
        response = HttpResponse(content, content_type=content_type)
        response["X-Page-Cache"] = "hit"
        return self._fill_standard(response), meta

    def store(
        self, response: HttpResponse, *, meta: Mapping[str, Any] | None = None
    ) -> tuple[HttpResponse, dict[str, Any]]:
        """Store a 200 response rendered with `context()`, then fill its holes
        for this request. The page is stored under the generation read before
        it was rendered, so a write that committed meanwhile orphans it."""
        meta = dict(meta or {})
        if self.enabled and response.status_code == 200 and not response.streaming:
            if self._generations is None:
                self._generations = tuple(generation(ns) for ns in self.namespaces)
            cache.set(
                self.key,
                (self._generations, response.content, response["Content-Type"], meta),
                timeout=settings.PAGE_CACHE_SECONDS,
            )
            response["X-Page-Cache"] = "miss"
            if self._stale:
                response["X-Page-Cache-Stale"] = " ".join(self._stale)
        return self._fill_standard(response), meta

    def fill(
        self, response: HttpResponse, holes: Mapping[str, str | Callable[[], str]]
    ) -> HttpResponse:
        """Fill view-specific holes with HTML (a callable is called only when
        the page has its hole)."""
        content = response.content
        for marker, value in holes.items():
            needle = marker.encode()
            if needle in content:
                html = value() if callable(value) else value
                content = content.replace(needle, str(html).encode())
        response.content = content
        return response

    def _fill_standard(self, response: HttpResponse) -> HttpResponse:
        """The holes every stored page has: a real CSRF token for this visitor
        (CsrfViewMiddleware then sets its cookie), this request's nonce, and
        the layout's per-visitor parts (site_hole_register)."""

        def nonce() -> str:
            value = get_nonce(self.request)
            return "" if value is None else str(value)

        request = self.request
        holes: dict[str, str | Callable[[], str]] = {
            CSRF_HOLE: lambda: get_token(request),
            NONCE_HOLE: nonce,
        }
        for marker, fn in _site_holes.values():
            holes[marker] = partial(fn, request)
        return self.fill(response, holes)
