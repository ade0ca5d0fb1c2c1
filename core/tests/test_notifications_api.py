"""The notification centre's API: a member's own notifications only."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from core.models import Notification
from core.notifications import notify
from core.tests.factories import MemberFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("notification_kinds")]

BASE = "/api/v1/notifications/"


@pytest.fixture
def member():
    return MemberFactory()


@pytest.fixture
def api(member) -> APIClient:
    client = APIClient()
    client.force_authenticate(member)
    return client


def _notify(member, n: int) -> Notification:
    return notify(
        user_id=member.pk,
        kind="probe.listed",
        key=f"k:{n}",
        data={"title": f"Item {n}"},
        url="/notifications/settings/",
    )


def test_the_list_is_the_members_own_newest_first(api, member):
    first, second = _notify(member, 1), _notify(member, 2)
    _notify(MemberFactory(), 3)

    response = api.get(BASE)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [item["id"] for item in body["results"]] == [second.pk, first.pk]
    item = body["results"][0]
    assert item["text"] == "Listed Item 2"
    assert item["url"] == "http://testserver/notifications/settings/"
    assert item["kind"] == "probe.listed"
    assert item["data"] == {"title": "Item 2"}
    assert item["read"] is False
    assert item["read_at"] is None


def test_the_unread_filter(api, member):
    read, unread = _notify(member, 1), _notify(member, 2)
    Notification.objects.filter(pk=read.pk).update(read_at=timezone.now())

    assert [i["id"] for i in api.get(BASE, {"unread": "true"}).json()["results"]] == [unread.pk]
    assert [i["id"] for i in api.get(BASE, {"unread": "false"}).json()["results"]] == [read.pk]
    assert api.get(BASE, {"unread": "maybe"}).status_code == 400


@pytest.mark.parametrize("count", [2, 10])
def test_the_list_costs_the_same_queries_for_2_and_10(api, member, count):
    for n in range(count):
        _notify(member, n)
    with CaptureQueriesContext(connection) as queries:
        response = api.get(BASE)
    assert len(response.json()["results"]) == count
    assert len(queries.captured_queries) == 2  # the count and the page


def test_mark_one_read(api, member):
    notification = _notify(member, 1)
    response = api.post(f"{BASE}{notification.pk}/read/")
    assert response.status_code == 200
    assert response.json()["read"] is True
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_another_members_notification_is_a_404_and_stays_unread(api):
    notification = _notify(MemberFactory(), 1)
    response = api.post(f"{BASE}{notification.pk}/read/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    notification.refresh_from_db()
    assert notification.read_at is None


def test_mark_all_read_and_the_unread_count(api, member):
    for n in range(3):
        _notify(member, n)
    other = _notify(MemberFactory(), 9)

    assert api.get(f"{BASE}unread-count/").json() == {"count": 3}
    assert api.post(f"{BASE}read-all/").json() == {"marked": 3}
    assert api.get(f"{BASE}unread-count/").json() == {"count": 0}
    other.refresh_from_db()
    assert other.read_at is None


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", ""), ("get", "unread-count/"), ("post", "read-all/"), ("post", "1/read/")],
)
def test_anonymous_clients_are_refused(method, path):
    response = getattr(APIClient(), method)(f"{BASE}{path}")
    assert response.status_code in (401, 403)


def test_every_endpoint_shows_an_example_in_the_schema(client):
    schema = json.loads(client.get("/api/schema/", {"format": "json"}).content)
    operations = [
        ("/api/v1/notifications/", "get"),
        ("/api/v1/notifications/{notification_id}/read/", "post"),
        ("/api/v1/notifications/read-all/", "post"),
        ("/api/v1/notifications/unread-count/", "get"),
    ]
    for path, method in operations:
        content = schema["paths"][path][method]["responses"]["200"]["content"]
        assert content["application/json"]["examples"], (path, method)
