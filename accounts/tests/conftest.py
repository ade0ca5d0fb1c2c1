from __future__ import annotations

import pytest
from django.test import Client

from accounts.tests.factories import PASSWORD, UserFactory


@pytest.fixture
def password() -> str:
    return PASSWORD


@pytest.fixture
def user(db):
    return UserFactory(verified=True)


@pytest.fixture
def user_client(client, user):
    client.force_login(user)
    return client


@pytest.fixture(autouse=True)
def _requests_commit(monkeypatch, django_capture_on_commit_callbacks):
    """Every test client request runs its on-commit work when it ends, as it
    runs outside the test's transaction: account mail is recorded in the mail
    outbox and sent by its task after commit."""
    send = Client.request

    def request(self, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return send(self, **kwargs)

    monkeypatch.setattr(Client, "request", request)
