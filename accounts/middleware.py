"""Private answers stay out of caches; idle staff sessions end."""

from __future__ import annotations

import time
from fnmatch import fnmatchcase

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _

# Views whose answers are about one visitor even when nobody is signed in
# (a guest's cart, checkout, order pages, sign-in and reset forms).
PRIVATE_VIEWS = (
    "accounts:*",
    "account_*",
    "mfa_*",
    "socialaccount_*",
    "shop:cart*",
    "shop:checkout*",
    "shop:order_*",
    "shop:address_*",
    "shop:wishlist*",
    "shop:stock_alert*",
    "api:me*",
    "api:shop-cart*",
    "api:shop-checkout",
    "api:shop-order*",
    "api:shop-wishlist*",
)

STAFF_LAST_SEEN = "_staff_last_seen"
# The last-seen time is written at most this often (seconds): a session
# write per request would cost a database write per admin click.
STAFF_LAST_SEEN_RESOLUTION = 30


def _signed_in(request) -> bool:
    """A signed-in member, by session or (after DRF ran) by API token.
    Requests with neither a session cookie nor credentials are anonymous
    without loading a session, so public pages are not marked as read."""
    if settings.SESSION_COOKIE_NAME not in request.COOKIES and (
        "HTTP_AUTHORIZATION" not in request.META
    ):
        return False
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated)


def _private_view(request) -> bool:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return False
    return any(fnmatchcase(match.view_name, pattern) for pattern in PRIVATE_VIEWS)


class PrivateResponseMiddleware:
    """`Cache-Control: no-store, private` on every answer to a signed-in
    member (pages carry their name, points, orders; API answers their data)
    and on the private views above for anyone: a shared computer's back
    button or a proxy must not keep them. Public pages for anonymous
    visitors keep their own caching."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if "no-store" in response.get("Cache-Control", ""):
            return response
        if _signed_in(request) or _private_view(request):
            add_never_cache_headers(response)
        return response


class StaffIdleTimeoutMiddleware:
    """Signs a staff member out after STAFF_IDLE_TIMEOUT_SECONDS without a
    request (default 30 minutes): a staff session left open on an unattended
    computer is the shop's admin. Members keep their long sessions."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        timeout = getattr(settings, "STAFF_IDLE_TIMEOUT_SECONDS", 0)
        if timeout and _signed_in(request) and request.user.is_staff:
            self._check(request, timeout)
        return self.get_response(request)

    @staticmethod
    def _check(request, timeout: float) -> None:
        now = time.time()
        last_seen = request.session.get(STAFF_LAST_SEEN)
        if isinstance(last_seen, int | float) and now - last_seen > timeout:
            logout(request)
            messages.info(
                request,
                _("You were signed out after %(minutes)d minutes without activity.")
                % {"minutes": max(1, round(timeout / 60))},
            )
            return
        if not isinstance(last_seen, int | float) or now - last_seen >= min(
            STAFF_LAST_SEEN_RESOLUTION, timeout / 2
        ):
            request.session[STAFF_LAST_SEEN] = now
