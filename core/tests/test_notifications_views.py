"""The notification centre's pages: the header bell, the list, the
settings and the unsubscribe link."""

from __future__ import annotations

import pytest
from django.core import signing
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from core.models import Notification, NotificationPreference
from core.notifications import Delivery, notification_kinds, notify
from core.notifications.services import UNSUBSCRIBE_SALT, unsubscribe_token
from core.tests.factories import MemberFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("notification_kinds")]


@pytest.fixture
def member():
    return MemberFactory()


@pytest.fixture
def member_client(client, member):
    client.force_login(member)
    return client


def _notify(member, n: int, *, kind: str = "probe.listed", url: str = "/notifications/settings/"):
    return notify(user_id=member.pk, kind=kind, key=f"k:{n}", data={"title": f"Item {n}"}, url=url)


def _html(response) -> str:
    return response.content.decode()


# ------------------------------------------------------------------- bell


def test_the_bell_shows_the_unread_count_to_a_signed_in_member(member, member_client):
    for n in range(3):
        _notify(member, n)
    Notification.objects.filter(key="k:0").update(read_at=timezone.now())
    html = _html(member_client.get(reverse("notifications:preferences")))
    assert '<span id="notifications-badge" class="badge" aria-hidden="true">2</span>' in html
    assert "2 unread notifications" in html
    assert f'href="{reverse("notifications:list")}" data-notifications-link' in html


def test_the_bell_says_9_plus_past_nine(member, member_client):
    for n in range(12):
        _notify(member, n)
    html = _html(member_client.get(reverse("notifications:preferences")))
    assert 'aria-hidden="true">9+</span>' in html
    assert "More than 9 unread notifications" in html


def test_the_bell_has_no_badge_without_unread(member, member_client):
    html = _html(member_client.get(reverse("notifications:preferences")))
    assert 'class="badge" aria-hidden="true">' not in html
    assert "No unread notifications" in html


def test_the_bell_costs_one_query_whatever_the_count(member, member_client):
    url = reverse("notifications:preferences")
    _notify(member, 0)
    with CaptureQueriesContext(connection) as few:
        member_client.get(url)
    for n in range(1, 30):
        _notify(member, n)
    with CaptureQueriesContext(connection) as many:
        member_client.get(url)
    counts = [q["sql"] for q in many.captured_queries if 'FROM "core_notification"' in q["sql"]]
    assert len(counts) == 1
    assert "LIMIT 10" in counts[0]
    assert len(few.captured_queries) == len(many.captured_queries)


def test_visitors_get_no_bell_and_page_cached_pages_stay_cached(
    settings, member, django_assert_num_queries
):
    settings.PAGE_CACHE_SECONDS = 300
    _notify(member, 1)
    home = reverse("home")

    # a visitor's page is stored, then served without a query, with no bell
    first = Client().get(home)
    with django_assert_num_queries(0):
        second = Client().get(home)
    assert first["X-Page-Cache"] == "miss"
    assert second["X-Page-Cache"] == "hit"
    for response in (first, second):
        assert "notifications-badge" not in _html(response)
        assert "unread notification" not in _html(response)

    # a signed-in member gets a fresh page with their own count
    client = Client()
    client.force_login(member)
    response = client.get(home)
    assert "X-Page-Cache" not in response
    assert "1 unread notification" in _html(response)


# ------------------------------------------------------------------- list


def test_the_list_needs_a_login(client):
    response = client.get(reverse("notifications:list"))
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_the_list_shows_unread_highlighted_and_only_the_members_own(member, member_client):
    other = MemberFactory()
    _notify(member, 1)
    _notify(member, 2)
    _notify(other, 3)
    Notification.objects.filter(key="k:1").update(read_at=timezone.now())

    html = _html(member_client.get(reverse("notifications:list")))

    assert "Listed Item 1" in html
    assert "Listed Item 2" in html
    assert "Item 3" not in html
    assert html.count("notification notification-unread") == 1
    assert html.index("Listed Item 2") < html.index("Listed Item 1")  # newest first
    assert "Mark all as read" in html


def test_the_empty_list_says_what_will_appear(member_client):
    html = _html(member_client.get(reverse("notifications:list")))
    assert "No notifications yet." in html
    assert "Updates on your orders" in html
    assert "Mark all as read" not in html


@pytest.mark.parametrize("count", [2, 10])
def test_the_list_costs_the_same_queries_for_2_and_10(member, member_client, count):
    for n in range(count):
        _notify(member, n)
    with CaptureQueriesContext(connection) as queries:
        response = member_client.get(reverse("notifications:list"))
    assert response.status_code == 200
    assert len(response.context["lines"]) == count
    # the user, the page's count, the page, the cart badge and the bell
    assert len(queries.captured_queries) == 5, [q["sql"] for q in queries.captured_queries]


def test_the_list_is_paginated(member, member_client):
    for n in range(25):
        _notify(member, n)
    first = member_client.get(reverse("notifications:list"))
    second = member_client.get(reverse("notifications:list"), {"page": 2})
    assert len(first.context["lines"]) == 20
    assert len(second.context["lines"]) == 5
    assert "Page 1 of 2" in _html(first)


def test_the_list_links_in_the_readers_language(member, member_client):
    _notify(member, 1, url="/notifications/settings/")
    with translation.override("id"):
        url = reverse("notifications:list")
    html = _html(member_client.get(url))
    assert "(Masuk)" not in html  # probe.listed has no translated words
    # opening it goes to the Indonesian page
    notification = Notification.objects.get()
    response = member_client.post(f"/id/notifications/{notification.pk}/read/", {"open": "1"})
    assert response.status_code == 302
    assert response["Location"] == "/id/notifications/settings/"


def test_opening_a_line_marks_it_read_and_goes_to_its_page(member, member_client):
    notification = _notify(member, 1)
    response = member_client.post(
        reverse("notifications:read", args=[notification.pk]), {"open": "1"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/notifications/settings/"
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_mark_read_without_javascript_returns_to_the_list(member, member_client):
    notification = _notify(member, 1)
    response = member_client.post(
        reverse("notifications:read", args=[notification.pk]),
        {"next": "/notifications/?page=2"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/notifications/?page=2"
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_mark_read_never_redirects_off_the_site(member, member_client):
    notification = _notify(member, 1)
    response = member_client.post(
        reverse("notifications:read", args=[notification.pk]),
        {"next": "https://evil.example/"},
    )
    assert response["Location"] == reverse("notifications:list")


def test_mark_read_with_htmx_swaps_the_line_and_the_bell(member, member_client):
    notification = _notify(member, 1)
    _notify(member, 2)
    response = member_client.post(
        reverse("notifications:read", args=[notification.pk]), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    html = _html(response)
    assert f'id="notification-{notification.pk}"' in html
    assert "notification-unread" not in html
    assert 'hx-swap-oob="true">1</span>' in html
    assert "1 unread notification" in html


def test_another_members_notification_cannot_be_marked_read(member_client):
    other = MemberFactory()
    notification = _notify(other, 1)
    response = member_client.post(reverse("notifications:read", args=[notification.pk]))
    assert response.status_code == 404
    notification.refresh_from_db()
    assert notification.read_at is None


def test_mark_all_as_read_marks_only_the_members_own(member, member_client):
    other = MemberFactory()
    for n in range(3):
        _notify(member, n)
    _notify(other, 9)
    response = member_client.post(reverse("notifications:read_all"), follow=True)
    assert "All your notifications are marked as read." in _html(response)
    assert not Notification.objects.filter(recipient=member, read_at__isnull=True).exists()
    assert Notification.objects.filter(recipient=other, read_at__isnull=True).count() == 1


def test_marking_read_needs_a_post(member, member_client):
    notification = _notify(member, 1)
    response = member_client.get(reverse("notifications:read", args=[notification.pk]))
    assert response.status_code == 405


# ------------------------------------------------------------ preferences


def test_preferences_list_every_kind_and_no_off_for_mandatory_ones(member_client):
    response = member_client.get(reverse("notifications:preferences"))
    form = response.context["form"]
    assert [value for value, _ in form.fields["probe.reply"].choices] == [
        "instant",
        "daily",
        "web",
        "off",
    ]
    assert "off" not in [value for value, _ in form.fields["probe.moderation"].choices]
    assert [value for value, _ in form.fields["probe.listed"].choices] == ["web", "off"]
    html = _html(response)
    assert 'type="radio" name="probe.reply" value="instant"' in html
    assert "Instant email" in html and "Daily digest" in html and "On the site only" in html
    assert 'href="/notifications/settings/" aria-current="page"' in html


def _current(client) -> dict:
    form = client.get(reverse("notifications:preferences")).context["form"]
    return {name: field.initial for name, field in form.fields.items()}


def test_saving_preferences_stores_them_with_a_message(member, member_client):
    response = member_client.post(
        reverse("notifications:preferences"),
        {
            **_current(member_client),
            "probe.reply": "daily",
            "probe.digested": "off",
            "probe.moderation": "web",
            "probe.listed": "web",
        },
        follow=True,
    )
    assert "Your notification settings were saved." in _html(response)
    stored = dict(
        NotificationPreference.objects.filter(user=member).values_list("kind", "delivery")
    )
    # only what changed: the kinds left as they were keep their defaults
    assert stored == {"probe.reply": "daily", "probe.digested": "off", "probe.moderation": "web"}
    assert response.context["form"]["probe.reply"].value() == "daily"


def test_off_for_a_mandatory_kind_is_refused_and_nothing_stored(member_client):
    response = member_client.post(
        reverse("notifications:preferences"),
        {
            **_current(member_client),
            "probe.reply": "web",
            "probe.digested": "web",
            "probe.moderation": "off",
            "probe.listed": "web",
        },
    )
    assert response.status_code == 400
    assert not NotificationPreference.objects.exists()


# ------------------------------------------------------------ unsubscribe


def _unsubscribe_url(token: str) -> str:
    return reverse("notifications:unsubscribe", kwargs={"token": token})


def test_unsubscribe_get_changes_nothing(client, member):
    url = _unsubscribe_url(unsubscribe_token(user_id=member.pk, kind="probe.reply"))
    response = client.get(url)
    assert response.status_code == 200
    assert "Stop emails about “Replies”?" in _html(response)
    assert not NotificationPreference.objects.exists()
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]


def test_one_click_unsubscribe_works_without_login_or_csrf(member):
    # given a mail client's RFC 8058 POST (no session, no CSRF token)
    client = Client(enforce_csrf_checks=True)
    url = _unsubscribe_url(unsubscribe_token(user_id=member.pk, kind="probe.reply"))

    response = client.post(url, {"List-Unsubscribe": "One-Click"})

    assert response.status_code == 200
    pref = NotificationPreference.objects.get(user=member)
    assert (pref.kind, pref.delivery) == ("probe.reply", Delivery.WEB)
    # and the next reply is listed, not emailed
    notification = notify(
        user_id=member.pk, kind="probe.reply", key="r", data={"name": "A", "title": "B"}
    )
    assert notification.emailed_at is None


def test_unsubscribing_from_all_switches_every_emailing_kind_to_the_site(member):
    client = Client(enforce_csrf_checks=True)
    response = client.post(_unsubscribe_url(unsubscribe_token(user_id=member.pk)))
    assert response.status_code == 200
    stored = dict(
        NotificationPreference.objects.filter(user=member).values_list("kind", "delivery")
    )
    emailing = {kind.code for kind in notification_kinds() if kind.email}
    assert set(stored) == emailing
    assert set(stored.values()) == {"web"}
    assert {"probe.reply", "probe.digested", "probe.moderation"} <= emailing


def _forged_tokens(member) -> dict[str, str]:
    good = unsubscribe_token(user_id=member.pk, kind="probe.reply")
    payload, _, signature = good.rpartition(":")
    other = signing.dumps({"u": member.pk + 1, "k": "probe.reply"}, salt="another.salt")
    return {
        "bad signature": f"{payload}:{'A' * len(signature)}",
        "other salt": other,
        "garbage": "not-a-token",
        "unknown kind": unsubscribe_token(user_id=member.pk, kind="probe.gone"),
    }


@pytest.mark.parametrize("case", ["bad signature", "other salt", "garbage", "unknown kind"])
def test_a_forged_or_tampered_token_gets_a_400_and_changes_nothing(member, case):
    token = _forged_tokens(member)[case]
    client = Client(enforce_csrf_checks=True)
    for method in (client.get, client.post):
        response = method(_unsubscribe_url(token))
        assert response.status_code == 400
        assert "This unsubscribe link is not valid" in _html(response)
    assert not NotificationPreference.objects.exists()


def test_a_token_cannot_be_rewritten_for_another_member_or_kind(member):
    other = MemberFactory()
    token = unsubscribe_token(user_id=member.pk, kind="probe.reply")
    # the payload of another member / kind with this token's signature
    _payload, _, signature = token.rpartition(":")
    for user_id, kind in ((other.pk, "probe.reply"), (member.pk, "probe.digested")):
        forged_payload = signing.dumps(
            {"u": user_id, "k": kind}, salt=UNSUBSCRIBE_SALT, compress=True
        ).rpartition(":")[0]
        response = Client().post(_unsubscribe_url(f"{forged_payload}:{signature}"))
        assert response.status_code == 400
    assert not NotificationPreference.objects.exists()
