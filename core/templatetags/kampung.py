"""Template helpers for the site-wide layout."""

from __future__ import annotations

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.simple_tag
def first_url(*names: str, default: str = "") -> str:
    """The URL of the first of `names` that reverses, else `default`.

    The layout links to pages that other apps own (cart, notifications,
    rewards); until an app provides its URL name the link falls back to the
    next candidate, so the header never breaks on a missing route.
    """
    for name in names:
        try:
            return reverse(name)
        except NoReverseMatch:
            continue
    return default


@register.simple_tag(takes_context=True)
def current_if(context: template.Context, url: str) -> SafeString:
    """`aria-current="page"` when `url` is the page being rendered."""
    request = context.get("request")
    if request is not None and url and request.path == url:
        return mark_safe('aria-current="page"')
    return mark_safe("")


@register.filter
def message_role(level_tag: str) -> str:
    """Errors and warnings interrupt a screen reader; the rest wait politely."""
    return "alert" if level_tag in {"error", "warning"} else "status"
