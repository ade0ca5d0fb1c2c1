"""PROFILE_SECTIONS: the member's tier and badges on their public profile.
Nothing private (no points, no balance, no progress). From the cache, per
language: a member's section is read again (two queries) after their tier
or badges change, everyone's after staff edit a tier or a badge."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from loyalty.marks_cache import profile_sections_cache
from loyalty.models import MemberBadge, MemberTier
from loyalty.models.badges import LEVEL_RANK


def _render(user_id: int) -> str:
    """The section's HTML, "" when there is nothing to show."""
    row = MemberTier.objects.filter(user_id=user_id, tier__isnull=False).select_related("tier")
    tier = next((r.tier for r in row), None)
    held = list(
        MemberBadge.objects.filter(user_id=user_id, badge__enabled=True).select_related("badge")
    )
    held.sort(key=lambda h: (-LEVEL_RANK[h.badge.level], -h.awarded_at.timestamp()))
    if tier is None and not held:
        return ""
    return render_to_string("loyalty/_profile_section.html", {"tier": tier, "held": held})


def profile_sections(*, user) -> list[dict]:
    cache = profile_sections_cache(get_language() or "en")
    html = cache.get(user.pk, _render)
    if not html:
        return []
    return [{"title": _("Tier and badges"), "html": html}]
