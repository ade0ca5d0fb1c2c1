"""The community's front page (/community/) and its block on the home page."""

from __future__ import annotations

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import path
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.views.decorators.http import require_safe

from community.selectors.landing import LANDING_NAMESPACE, landing
from core import pagecache

FRAGMENT_SECONDS = 3600


def _shared(name: str, template: str, **limits) -> str:
    """The public part of a page, rendered once per change of public content
    and language, for visitors and members alike."""
    key = f"community:fragment:v1:{pagecache.generation(LANDING_NAMESPACE)}:{get_language()}:{name}"
    html = cache.get(key)
    if html is None:
        html = render_to_string(template, {"landing": landing(**limits)})
        cache.set(key, html, FRAGMENT_SECONDS)
    return mark_safe(html)


@require_safe
def index(request: HttpRequest) -> HttpResponse:
    page = pagecache.PageCache(request, namespace=LANDING_NAMESPACE)
    if (hit := page.get()) is None:
        context = {
            "landing_html": _shared("landing", "community/landing/_sections.html"),
            **page.context(),
        }
        hit = page.store(render(request, "community/landing/index.html", context))
    return page.fill(hit[0], {})


def home_section(*, request) -> list[dict]:
    """core.hooks.HOME_SECTIONS: the latest threads and open questions."""
    html = _shared(
        "home", "community/landing/_home.html", threads=4, questions=4, polls=0, reviews=0
    )
    if not html.strip():
        return []
    return [{"code": "community", "html": html}]


def home_namespaces() -> list[str]:
    return [LANDING_NAMESPACE]


urlpatterns = [
    path("", index, name="index"),
]
