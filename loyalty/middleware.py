"""Request-side triggers of the loyalty program, writing nothing to the
database in the request: a `?ref=<code>` link keeps a current member's code
in the session for sign-up, and a member's first signed-in request of a day
queues the daily visit award (once per member and day, decided by a cache
key, no query).

Whatever a `?ref=` link holds, the page says what came of it (a message):
the invite is taken, the code is not valid, or the visitor is signed in and
the link changes nothing. A page with `?ref=` is never stored by the page
cache (core.pagecache: a parameter the page does not vary on), so the
message is this visitor's alone."""

from __future__ import annotations

import re
from functools import partial

import structlog
from django.contrib import messages
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.receivers import REFERRAL_SESSION_KEY
from loyalty.selectors.referrals import referral_code_owner

logger = structlog.get_logger(__name__)

REF_PATTERN = re.compile(r"[A-Z0-9]{4,32}", re.ASCII)
VISIT_KEY_SECONDS = 2 * 24 * 3600


def _queue_visit(user_id: int, day: str) -> None:
    from loyalty.tasks import award_daily_visit

    try:
        award_daily_visit.apply_async(args=[user_id, day], retry=False)
    except Exception as exc:  # noqa: BLE001 - a lost visit is not worth a failed page
        logger.warning("daily_visit_enqueue_failed", user_id=user_id, error=repr(exc))


def _referral_link_followed(request, ref: str) -> None:
    """A `?ref=` link: keep a current member's code for a visitor's sign-up
    and say what came of the link. At most one query."""
    code = ref.strip().upper()
    owner = referral_code_owner(code=code) if REF_PATTERN.fullmatch(code) else None
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        if owner == user.pk:
            text = _("This is your own invite link: share it with friends who have not joined yet.")
        else:
            text = _(
                "Invite links are for people who have not joined yet; you already have "
                "an account, so this link changes nothing."
            )
        messages.info(request, text, fail_silently=True)
    elif owner is None:
        # (a code kept from an earlier, valid link stays)
        messages.warning(
            request,
            _(
                "This invite link is not valid: check that it was copied whole. "
                "You can still sign up without it."
            ),
            fail_silently=True,
        )
    elif request.session.get(REFERRAL_SESSION_KEY) != code:
        request.session[REFERRAL_SESSION_KEY] = code
        messages.success(
            request,
            _("You are joining through a member's invite: sign up to accept it."),
            fail_silently=True,
        )


class LoyaltyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        ref = request.GET.get("ref")
        if ref is not None and hasattr(request, "session"):
            _referral_link_followed(request, ref)
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
