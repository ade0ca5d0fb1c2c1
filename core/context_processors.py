from __future__ import annotations

from django.conf import settings

from core import hooks


def site(request) -> dict:
    """Site name, plus header widgets other apps contribute through hooks
    (e.g. loyalty's points balance); nothing registered means nothing shown."""
    header_items = []
    for fn in hooks.get_hooks(hooks.HEADER_ITEMS):
        item = fn(request)
        if item:
            header_items.append(item)
    return {"SITE_NAME": settings.SITE_NAME, "header_items": header_items}
