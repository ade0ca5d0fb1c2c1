"""Demo catalog for `manage.py seed_demo` (registered in ShopConfig.ready)."""

from __future__ import annotations


def seed_shop(stdout, *, products: int = 200) -> None:
    stdout.write("Shop demo data: not yet.")
