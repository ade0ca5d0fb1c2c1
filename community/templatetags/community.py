from __future__ import annotations

from django import template

from community.models import Flag

register = template.Library()


@register.simple_tag
def flag_reasons():
    return Flag.Reason.choices
