"""The site layout: one base template, the CSP it must live under, and its
Indonesian translation."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from core import hooks

PO_FILE = Path(settings.BASE_DIR) / "locale" / "id" / "LC_MESSAGES" / "django.po"
MO_FILE = PO_FILE.with_suffix(".mo")


@pytest.fixture(scope="session", autouse=True)
def _compiled_messages():
    """.mo files are build output (`make` compiles them); compile here when
    they are missing or older than the .po, so the tests see the real catalog."""
    if not MO_FILE.exists() or MO_FILE.stat().st_mtime < PO_FILE.stat().st_mtime:
        call_command(
            "compilemessages", locale=["id"], ignore_patterns=[".venv", "var"], verbosity=0
        )
        from django.utils.translation import trans_real

        trans_real._translations = {}
        trans_real._default = None
        trans_real._active = trans_real.Local()


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user(
        email="ani@example.com", password="a-long-test-password", display_name="Ani"
    )


def _html(response) -> str:
    return response.content.decode()


@pytest.mark.django_db
def test_home_renders_the_layout_with_nav_and_language_switcher(client):
    # when
    response = client.get("/")

    # then
    html = _html(response)
    assert response.status_code == 200
    assert '<html lang="en"' in html
    assert 'class="main-nav"' in html
    for label in ("Shop", "Community", "Rewards"):
        assert f">{label}</a>" in html
    assert f'action="{reverse("set_language")}"' in html
    assert 'name="language"' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert 'href="#main"' in html
    assert 'name="q"' in html
    assert reverse("account_login") in html
    assert reverse("account_signup") in html


@pytest.mark.django_db
def test_home_is_served_with_a_csp_whose_nonce_the_scripts_carry(client):
    # when
    response = client.get("/")

    # then
    csp = response.headers["Content-Security-Policy"]
    assert "style-src 'self'" in csp
    assert "'nonce-" in csp
    nonce = csp.split("'nonce-", 1)[1].split("'", 1)[0]
    html = _html(response)
    assert html.count("<script") == html.count(f'nonce="{nonce}"')
    assert "django_htmx/htmx-2" in html


@pytest.mark.django_db
def test_indonesian_home_is_translated(client):
    # when
    response = client.get("/id/")

    # then
    html = _html(response)
    assert response.status_code == 200
    assert '<html lang="id"' in html
    assert "Pasar lingkungan Anda, kini daring" in html
    assert ">Masuk</a>" in html
    assert "Your neighbourhood market" not in html


def test_catalog_translates_the_layout_strings():
    with translation.override("id"):
        assert gettext("Log in") == "Masuk"
        assert gettext("Skip to content") == "Langsung ke konten"
        assert gettext("Type DELETE to confirm") == "Ketik DELETE untuk mengonfirmasi"


def test_indonesian_catalog_has_no_untranslated_or_fuzzy_entries():
    polib = pytest.importorskip("polib")
    catalog = polib.pofile(str(PO_FILE))

    assert catalog.untranslated_entries() == []
    assert catalog.fuzzy_entries() == []


@pytest.mark.django_db
def test_unknown_url_uses_the_site_404_template(client):
    # when
    response = client.get("/no-such-page/")

    # then
    assert response.status_code == 404
    assert "404.html" in [t.name for t in response.templates]
    assert "We could not find that page" in _html(response)
    assert 'class="site-header"' in _html(response)


def test_500_template_renders_without_a_request():
    html = render_to_string("500.html")

    assert "Something went wrong on our side" in html
    assert "kampung.css" in html


@pytest.mark.django_db
def test_header_items_from_hooks_are_links(client):
    # given
    def points_item(request):
        return {"label": "1,250 points", "url": "/rewards/"}

    # when
    with hooks.registered(hooks.HEADER_ITEMS, points_item):
        response = client.get("/")

    # then
    assert '<a class="header-item" href="/rewards/">1,250 points</a>' in _html(response)


@pytest.mark.django_db
def test_logged_in_header_shows_account_menu_with_post_logout(client, user):
    # given
    client.force_login(user)

    # when
    html = _html(client.get("/"))

    # then
    assert "Ani" in html
    assert reverse("accounts:profile") in html
    assert reverse("mfa_index") in html
    assert f'method="post" action="{reverse("account_logout")}"' in html
    assert reverse("admin:index") not in html


@pytest.mark.django_db
def test_profile_page_renders_its_sections(client, user):
    # given
    client.force_login(user)

    # when
    response = client.get(reverse("accounts:profile"))

    # then
    html = _html(response)
    assert response.status_code == 200
    assert 'enctype="multipart/form-data"' in html
    assert 'name="display_name"' in html
    assert reverse("accounts:token_create") in html
    assert reverse("accounts:export") in html
    assert reverse("accounts:delete") in html
    assert reverse("account_email") in html  # the unverified-address notice


@pytest.mark.django_db
def test_allauth_pages_extend_the_site_layout_and_keep_field_ids(client):
    # when
    login = _html(client.get(reverse("account_login")))
    signup = _html(client.get(reverse("account_signup")))

    # then
    assert 'class="site-header"' in login
    assert 'id="id_login"' in login
    assert 'id="id_password"' in login
    assert '<label for="id_login"' in login
    assert 'id="id_email"' in signup
    assert 'id="id_password1"' in signup
    assert 'id="id_password2"' in signup


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/id/",
        "/accounts/login/",
        "/accounts/signup/",
        "/accounts/password/reset/",
        "/accounts/login/code/",
        "/no-such-page/",
    ],
)
def test_anonymous_pages_have_no_inline_styles(client, path):
    html = _html(client.get(path))

    assert 'style="' not in html
    assert "<style" not in html


@pytest.mark.django_db
@pytest.mark.parametrize("url_name", ["accounts:profile", "account_email", "mfa_index", "home"])
def test_logged_in_pages_have_no_inline_styles(client, user, url_name):
    # given
    client.force_login(user)

    # when
    response = client.get(reverse(url_name))

    # then
    assert response.status_code == 200
    html = _html(response)
    assert 'style="' not in html
    assert "<style" not in html


@pytest.mark.django_db
def test_language_switcher_form_works_without_javascript(client):
    # when
    response = client.post(reverse("set_language"), {"language": "id", "next": "/"})

    # then
    assert response.status_code == 302
    assert response.headers["Location"] == "/id/"


def test_indonesian_translations_keep_their_placeholders():
    polib = pytest.importorskip("polib")
    placeholder = re.compile(r"%\(\w+\)[sd]|\{\{ ?\w+ ?\}\}")
    catalog = polib.pofile(str(PO_FILE))

    mismatched = [
        entry.msgid
        for entry in catalog
        if not entry.msgid_plural
        and sorted(placeholder.findall(entry.msgid)) != sorted(placeholder.findall(entry.msgstr))
    ]

    assert mismatched == []
