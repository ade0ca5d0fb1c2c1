"""The notification centre's pages: the member's list, their delivery
choices, and the unsubscribe page an email links to (no login needed)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.exceptions import ApplicationError
from core.notifications import selectors, services
from core.notifications.forms import PreferencesForm
from core.notifications.kinds import notification_kind_find

PER_PAGE = 20


def _line(notification) -> dict:
    return {
        "notification": notification,
        "text": services.notification_text(notification),
        "url": services.localised_path(notification.url),
    }


@login_required
@require_GET
def notification_list(request):
    page = Paginator(selectors.notification_list(user_id=request.user.pk), PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "notifications/list.html",
        {"page": page, "lines": [_line(n) for n in page.object_list]},
    )


def _safe_next(request, url: str) -> str | None:
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return None


@login_required
@require_POST
def notification_read(request, notification_id: int):
    """Mark one notification read. With `open`, go on to what it is about;
    otherwise back to the list (htmx: the line, swapped in place)."""
    try:
        notification = services.notification_mark_read(
            user_id=request.user.pk, notification_id=notification_id
        )
    except ApplicationError:
        raise Http404 from None
    if request.POST.get("open"):
        target = _safe_next(request, services.localised_path(notification.url))
        if target:
            return redirect(target)
    if request.htmx:
        return render(
            request,
            "notifications/_read.html",
            {
                "line": _line(notification),
                "bell": selectors.notification_bell(user_id=request.user.pk),
            },
        )
    return redirect(_safe_next(request, request.POST.get("next", "")) or "notifications:list")


@login_required
@require_POST
def notification_read_all(request):
    count = services.notifications_mark_all_read(user_id=request.user.pk)
    if count:
        messages.success(request, _("All your notifications are marked as read."))
    return redirect("notifications:list")


@login_required
@require_http_methods(["GET", "POST"])
def notification_preferences(request):
    preferences = selectors.notification_preferences(user_id=request.user.pk)
    form = PreferencesForm(request.POST or None, preferences=preferences)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                # Only what the member changed: a kind left as it was keeps
                # following its default.
                services.notification_preferences_set(
                    user_id=request.user.pk,
                    choices={name: form.cleaned_data[name] for name in form.changed_data},
                )
            except ApplicationError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("Your notification settings were saved."))
                return redirect("notifications:preferences")
        status = 400
    return render(request, "notifications/preferences.html", {"form": form}, status=status)


@never_cache
@csrf_exempt  # RFC 8058: the mail client's one-click POST carries no CSRF token
@require_http_methods(["GET", "POST"])
def notification_unsubscribe(request, token: str):
    """GET shows what the link does and one button; only POST changes
    anything (link scanners and previews fetch GETs)."""
    read = services.unsubscribe_token_read(token)
    if read is None:
        return render(request, "notifications/unsubscribe_invalid.html", status=400)
    _user_id, code = read
    kind = None if code == services.ALL_KINDS else notification_kind_find(code)
    if request.method == "POST":
        if services.notifications_unsubscribe(token=token) is None:
            return render(request, "notifications/unsubscribe_invalid.html", status=400)
        return render(request, "notifications/unsubscribe.html", {"kind": kind, "done": True})
    return render(request, "notifications/unsubscribe.html", {"kind": kind, "token": token})
