from __future__ import annotations

import structlog
from rest_framework.throttling import SimpleRateThrottle

logger = structlog.get_logger(__name__)

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class WriteRateThrottle(SimpleRateThrottle):
    """Throttles writes only, per user (or per IP for anonymous clients).

    The counts live in the cache. A cache that fails lets the request through
    (logged): the throttle is a brake on abuse, and a checkout must not fail
    because Redis did. (The Redis backend already reads a failure as "no
    history"; this also covers any other backend raising.)"""

    scope = "writes"

    def get_cache_key(self, request, view) -> str | None:
        if request.method in SAFE_METHODS:
            return None
        ident = request.user.pk if request.user.is_authenticated else self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}

    def allow_request(self, request, view) -> bool:
        try:
            return super().allow_request(request, view)
        except Exception:
            logger.warning("throttle_cache_unavailable", scope=self.scope, exc_info=True)
            return True
