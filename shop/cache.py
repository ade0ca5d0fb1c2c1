"""The catalogue's page-cache namespaces (core/pagecache.py).

- `catalog`: everything a storefront page may show about the catalogue
  (names, categories, brands, prices, which products are listed and whether
  each is in stock). Writes that change it call `catalog_changed()`, which
  orphans every stored page and shared card list after the commit.
- `catalog:product:<slug>`: what only the product's own page shows (each
  variant's stock label and count). A stock move that leaves every product's
  in-stock state as it was calls `product_pages_changed()`: only those
  products' pages are rendered afresh; the home page, the listings and other
  products' pages stay stored.
"""

from __future__ import annotations

from collections.abc import Iterable

from core import pagecache

CATALOG = "catalog"


def product_namespace(slug: str) -> str:
    return f"{CATALOG}:product:{slug}"


def catalog_changed(*, reason: str = "catalogue edit") -> None:
    pagecache.bump(CATALOG, reason=reason)


def product_pages_changed(*, slugs: Iterable[str], reason: str = "stock move") -> None:
    pagecache.bump(*(product_namespace(slug) for slug in sorted(set(slugs))), reason=reason)


def catalog_generation() -> int:
    return pagecache.generation(CATALOG)
