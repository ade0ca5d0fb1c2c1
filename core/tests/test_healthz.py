from __future__ import annotations

import time

import pytest
from django.db import OperationalError, connection

pytestmark = pytest.mark.django_db


def test_healthz_is_ok_when_database_and_embedded_broker_are_up(client, celery_broker, tmp_path):
    # given
    celery_broker(f"sqla+sqlite:///{tmp_path / 'broker.sqlite3'}")

    # when
    response = client.get("/healthz")

    # then
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "broker": "ok",
        "outbox": {"oldest_pending_seconds": None, "pending": 0, "dead": 0},
    }
    assert "no-cache" in response["Cache-Control"]


def test_healthz_is_503_quickly_when_the_broker_refuses_connections(
    client, celery_broker, closed_port_url
):
    # given
    celery_broker(closed_port_url)

    # when
    started = time.monotonic()
    response = client.get("/healthz")
    elapsed = time.monotonic() - started

    # then
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["database"] == "ok"
    assert body["broker"] != "ok"
    assert elapsed < 5


def test_healthz_is_503_when_the_database_is_down(client, celery_broker, tmp_path, monkeypatch):
    # given
    celery_broker(f"sqla+sqlite:///{tmp_path / 'broker.sqlite3'}")

    def refuse(*args, **kwargs):
        raise OperationalError("the database went away")

    monkeypatch.setattr(connection, "cursor", refuse)

    # when
    response = client.get("/healthz")

    # then
    assert response.status_code == 503
    assert response.json()["database"] == "OperationalError"
    assert response.json()["broker"] == "ok"
    assert response.json()["outbox"] is None


def test_healthz_answers_only_safe_methods(client):
    # when
    response = client.post("/healthz")

    # then
    assert response.status_code == 405


@pytest.mark.services
def test_healthz_is_ok_with_a_real_redis_broker(client, celery_broker, private_redis):
    # given
    celery_broker(private_redis.url)

    # when
    response = client.get("/healthz")

    # then
    assert response.status_code == 200
    body = response.json()
    assert {k: body[k] for k in ("status", "database", "broker")} == {
        "status": "ok",
        "database": "ok",
        "broker": "ok",
    }


@pytest.mark.services
def test_healthz_is_503_within_seconds_when_redis_hangs(client, celery_broker, private_redis):
    # given: a hung Redis still accepts TCP connections but never answers
    celery_broker(private_redis.url)
    assert client.get("/healthz").status_code == 200
    private_redis.pause()

    # when
    started = time.monotonic()
    response = client.get("/healthz")
    elapsed = time.monotonic() - started
    private_redis.resume()

    # then
    assert response.status_code == 503
    assert response.json()["broker"] != "ok"
    assert elapsed < 5
