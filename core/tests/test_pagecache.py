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


def _request(method: str, cookies: dict, *, signed_in: bool = False, message: bool = False):
    """A request as the middleware leaves it for a view: a user (anonymous
    or signed in), a session and the message storage."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import AnonymousUser
    from django.contrib.messages.storage import default_storage
    from django.contrib.sessions.backends.db import SessionStore

    request = getattr(RequestFactory(), method)("/")
    request.COOKIES.update(cookies)
    request.session = SessionStore()
    request.user = (
        get_user_model().objects.create_user(email="member@example.com", password="x-Pass-123")
        if signed_in
        else AnonymousUser()
    )
    request._messages = default_storage(request)
    if message:
        from django.contrib import messages

        messages.info(request, "Added to your cart.")
    return request


@pytest.mark.parametrize(
    ("cookies", "method", "options", "cacheable"),
    [
        ({}, "get", {}, True),
        ({"csrftoken": "x", "shop_recent": "1"}, "get", {}, True),
        # An anonymous shopper with a session (a cart) shares stored pages...
        ({"sessionid": "abc"}, "get", {}, True),
        # ...unless signed in, or a message waits for them.
        ({"sessionid": "abc"}, "get", {"signed_in": True}, False),
        ({"sessionid": "abc"}, "get", {"message": True}, False),
        ({"messages": "abc"}, "get", {}, False),
        ({}, "post", {}, False),
        ({}, "head", {}, True),
    ],
)
def test_only_anonymous_reads_with_nothing_pending_are_cacheable(
    cookies, method, options, cacheable
):
    request = _request(method, cookies, **options)

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
