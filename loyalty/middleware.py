"""Request-side triggers of the loyalty program, writing nothing in the
request: a `?ref=<code>` link keeps its code in the session for sign-up, and
a member's first signed-in request of a day queues the daily visit award
(once per member and day, decided by a cache key, no query)."""

from __future__ import annotations

import re
from functools import partial

import structlog
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from accounts.receivers import REFERRAL_SESSION_KEY

logger = structlog.get_logger(__name__)

REF_PATTERN = re.compile(r"^[A-Za-z0-9]{4,32}$")
VISIT_KEY_SECONDS = 2 * 24 * 3600


def _queue_visit(user_id: int, day: str) -> None:
    from loyalty.tasks import award_daily_visit

    try:
        award_daily_visit.apply_async(args=[user_id, day], retry=False)
    except Exception as exc:  # noqa: BLE001 - a lost visit is not worth a failed page
        logger.warning("daily_visit_enqueue_failed", user_id=user_id, error=repr(exc))


class LoyaltyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        ref = request.GET.get("ref")
        if ref and REF_PATTERN.match(ref) and hasattr(request, "session"):
            user = getattr(request, "user", None)
            if user is None or not user.is_authenticated:
                request.session[REFERRAL_SESSION_KEY] = ref.upper()
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not user.is_staff:
            day = timezone.localdate().isoformat()
            try:
                first = cache.add(f"loyalty:visit:{user.pk}:{day}", 1, VISIT_KEY_SECONDS)
            except Exception:  # noqa: BLE001 - no cache: no streak today, the page still works
                first = False
            if first:
                transaction.on_commit(partial(_queue_visit, user.pk, day))
        return self.get_response(request)
