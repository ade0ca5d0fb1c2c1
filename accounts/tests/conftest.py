from __future__ import annotations

import pytest

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
