from __future__ import annotations

from django.http import HttpResponseRedirect, JsonResponse
from django.templatetags.static import static
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_safe
from django.views.generic import TemplateView

from core.selectors import broker_status, database_status, outbox_lag


@require_safe
@cache_control(max_age=86400, public=True)
def favicon(request):
    """Browsers ask for /favicon.ico whatever the page's <link rel="icon">
    says: send them to the logo mark (a static file, hashed in production)."""
    return HttpResponseRedirect(static("img/favicon.svg"))


@never_cache
@require_safe
def healthz(request):
    """200 when the database and the broker answer, 503 otherwise. The
    outbox lag is reported for monitoring but never fails the check: a
    backlog is a reason to alert, not to take the site out of rotation."""
    db_ok, db_detail = database_status()
    broker_ok, broker_detail = broker_status()
    healthy = db_ok and broker_ok
    lag = None
    if db_ok:
        try:
            lag = outbox_lag()
        except Exception:  # noqa: BLE001 - the lag is informative only
            lag = None
    return JsonResponse(
        {
            "status": "ok" if healthy else "unavailable",
            "database": db_detail,
            "broker": broker_detail,
            "outbox": lag,
        },
        status=200 if healthy else 503,
    )


class HomeView(TemplateView):
    template_name = "core/home.html"
