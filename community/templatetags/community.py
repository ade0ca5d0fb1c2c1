from __future__ import annotations

import html

from django import template
from django.utils.html import strip_tags
from django.utils.safestring import mark_safe

from community.models import Flag
from community.services.forums import quote_attributions_localise

register = template.Library()


@register.simple_tag
def flag_reasons():
    return Flag.Reason.choices


@register.filter(is_safe=True)
def quote_attributions(value: str) -> str:
    """A forum post's sanitized HTML (body_html) with each quote's
    attribution in the reader's language."""
    return mark_safe(quote_attributions_localise(value or ""))


@register.filter
def html_text(value: str) -> str:
    """Sanitized HTML (a body_html) as the plain text a reader sees: tags
    dropped, entities decoded, whitespace collapsed. The result is plain text
    again, so the template escapes it once (striptags alone left `&lt;`
    to be escaped a second time, shown as "&lt;")."""
    return " ".join(html.unescape(strip_tags(value or "")).split())
