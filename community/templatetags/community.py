from __future__ import annotations

import html

from django import template
from django.utils.html import strip_tags

from community.models import Flag

register = template.Library()


@register.simple_tag
def flag_reasons():
    return Flag.Reason.choices


@register.filter
def html_text(value: str) -> str:
    """Sanitized HTML (a body_html) as the plain text a reader sees: tags
    dropped, entities decoded, whitespace collapsed. The result is plain text
    again, so the template escapes it once (striptags alone left `&lt;`
    to be escaped a second time, shown as "&lt;")."""
    return " ".join(html.unescape(strip_tags(value or "")).split())
