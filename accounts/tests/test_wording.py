"""The account pages use the header's words: "Log in", "Log out", "Sign up"
(allauth's own templates say "Sign In", "Sign Out" and "Sign Up")."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from accounts.tests.factories import UserFactory

OTHER_WORDS = re.compile(r"Sign[ -]?In\b|Sign[ -]?Out\b|Sign Up|Signup|sign out|>\s*sign in\s*<")


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["account_login", "account_signup", "account_request_login_code"])
def test_entrance_pages_say_log_in(client, name):
    response = client.get(reverse(name))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Log in" in html
    assert not OTHER_WORDS.findall(html)


@pytest.mark.django_db
def test_logout_page_says_log_out(client):
    client.force_login(UserFactory())

    response = client.get(reverse("account_logout"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Are you sure you want to log out?" in html
    assert not OTHER_WORDS.findall(html)
