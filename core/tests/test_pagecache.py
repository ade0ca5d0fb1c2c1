from __future__ import annotations

import pytest
from django.test import RequestFactory

from core import pagecache

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def page_cache_on(settings):
    settings.PAGE_CACHE_SECONDS = 300


def test_bump_moves_the_generation_after_commit(django_capture_on_commit_callbacks):
    before = pagecache.generation("probe")

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        pagecache.bump("probe")
        during = pagecache.generation("probe")
    for callback in callbacks:
        callback()

    assert during == before
    assert pagecache.generation("probe") == before + 1


def test_a_lost_generation_restarts_above_any_used_one():
    from django.core.cache import cache

    old = pagecache.generation("probe")
    cache.delete("probe:generation")

    assert pagecache.generation("probe") >= old


@pytest.mark.parametrize(
    ("cookies", "method", "cacheable"),
    [
        ({}, "get", True),
        ({"csrftoken": "x", "shop_recent": "1"}, "get", True),
        ({"sessionid": "abc"}, "get", False),
        ({"messages": "abc"}, "get", False),
        ({}, "post", False),
    ],
)
def test_only_cookieless_reads_are_cacheable(cookies, method, cacheable):
    request = getattr(RequestFactory(), method)("/")
    request.COOKIES.update(cookies)

    assert pagecache.request_is_cacheable(request) is cacheable


def test_the_cache_is_off_at_zero_seconds(settings):
    settings.PAGE_CACHE_SECONDS = 0

    assert pagecache.request_is_cacheable(RequestFactory().get("/")) is False


def test_hole_names_must_be_plain():
    assert pagecache.hole("recent").isalnum()
    with pytest.raises(ValueError):
        pagecache.hole("a b")


def test_a_page_rendered_across_a_write_is_not_served_afterwards(
    django_capture_on_commit_callbacks,
):
    from django.http import HttpResponse

    # given: a miss, then a write commits while the page is being rendered
    request = RequestFactory().get("/x/")
    page = pagecache.PageCache(request, namespace="probe")
    assert page.get() is None
    with django_capture_on_commit_callbacks(execute=True):
        pagecache.bump("probe")
    page.store(HttpResponse(b"stale"))

    # when
    again = pagecache.PageCache(RequestFactory().get("/x/"), namespace="probe").get()

    # then
    assert again is None


def test_a_stored_page_is_served_until_the_next_write(django_capture_on_commit_callbacks):
    from django.http import HttpResponse

    page = pagecache.PageCache(RequestFactory().get("/y/"), namespace="probe")
    assert page.get() is None
    page.store(HttpResponse(b"fresh"))

    hit = pagecache.PageCache(RequestFactory().get("/y/"), namespace="probe").get()
    with django_capture_on_commit_callbacks(execute=True):
        pagecache.bump("probe")
    after = pagecache.PageCache(RequestFactory().get("/y/"), namespace="probe").get()

    assert hit[0].content == b"fresh"
    assert after is None
