"""The catalogue's page-cache namespace (core/pagecache.py): every write that
changes what a storefront page shows calls `catalog_changed()`, which orphans
the cached pages after the transaction commits."""

from __future__ import annotations

from core import pagecache

CATALOG = "catalog"


def catalog_changed() -> None:
    pagecache.bump(CATALOG)


def catalog_generation() -> int:
    return pagecache.generation(CATALOG)
