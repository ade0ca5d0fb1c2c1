from __future__ import annotations

from django.conf import settings
from django.utils.functional import SimpleLazyObject

from core import hooks


def site(request) -> dict:
    """Site name, plus header widgets other apps contribute through hooks
    (e.g. loyalty's points balance); nothing registered means nothing shown.
    Lazily: pages without the site header (the admin) never ask."""

    def header_items() -> list:
        items = []
        for fn in hooks.get_hooks(hooks.HEADER_ITEMS):
            item = fn(request)
            if item:
                items.append(item)
        return items

    return {"SITE_NAME": settings.SITE_NAME, "header_items": SimpleLazyObject(header_items)}


def notifications(request) -> dict:
    """The header bell of a signed-in member, lazily: the one (indexed,
    bounded) count query runs only when a page shows the bell, and pages
    for visitors (the page-cached ones) never do."""
    from core.notifications.selectors import notification_bell

    def bell():
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        return notification_bell(user_id=user.pk)

    return {"notification_bell": SimpleLazyObject(bell)}
