"""A member's language: remembered when they switch the site's language,
shown and changeable on the profile page; their emails are written in it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts import services
from accounts.models import User
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SET_LANGUAGE = "/i18n/setlang/"


def test_switching_the_site_language_remembers_it_for_a_signed_in_member(user_client, user):
    response = user_client.post(SET_LANGUAGE, {"language": "id", "next": "/"})

    assert response.status_code == 302
    assert response["Location"] == "/id/"
    assert response.cookies["django_language"].value == "id"
    user.refresh_from_db()
    assert user.language == "id"


def test_switching_back_to_the_default_remembers_that_too(user_client, user):
    User.objects.filter(pk=user.pk).update(language="id")
    user_client.post(SET_LANGUAGE, {"language": "en", "next": "/id/"})
    user.refresh_from_db()
    assert user.language == "en"


def test_an_unknown_language_changes_nothing(user_client, user):
    response = user_client.post(SET_LANGUAGE, {"language": "xx", "next": "/"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.language == ""


def test_a_visitor_switching_language_still_gets_the_cookie(client):
    response = client.post(SET_LANGUAGE, {"language": "id", "next": "/"})
    assert response.status_code == 302
    assert response.cookies["django_language"].value == "id"


def test_the_site_still_reverses_set_language_to_the_same_path():
    assert reverse("set_language") == SET_LANGUAGE


def test_the_profile_shows_the_members_language_and_saves_it(user_client, user):
    User.objects.filter(pk=user.pk).update(language="id")
    page = user_client.get(reverse("accounts:profile"))
    html = page.content.decode()
    assert "Language of your emails" in html
    assert '<option value="id" selected>' in html

    response = user_client.post(
        reverse("accounts:profile"), {"display_name": "Sari", "bio": "", "language": "en"}
    )

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.language == "en"


def test_the_profile_refuses_a_language_the_site_does_not_offer(user_client, user):
    response = user_client.post(
        reverse("accounts:profile"), {"display_name": "Sari", "bio": "", "language": "xx"}
    )
    assert response.status_code == 400
    user.refresh_from_db()
    assert user.language == ""


def test_the_export_holds_the_language():
    user = UserFactory(language="id")
    assert services.user_export_data(user=user)["account"]["language"] == "id"


@pytest.mark.django_db
def test_a_profile_post_without_the_language_keeps_it(client):
    from accounts.tests.factories import UserFactory

    user = UserFactory(language="id")
    client.force_login(user)
    response = client.post(reverse("accounts:profile"), {"display_name": "Ani", "bio": ""})
    assert response.status_code in (200, 302)
    user.refresh_from_db()
    assert user.display_name == "Ani" and user.language == "id"
