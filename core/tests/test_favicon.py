"""Browsers ask for /favicon.ico on every site, whatever the page links."""

from __future__ import annotations

import pytest
from django.templatetags.static import static


def test_favicon_ico_leads_to_the_logo_mark(client):
    response = client.get("/favicon.ico")

    assert response.status_code == 302
    assert response["Location"] == static("img/favicon.svg")
    icon = client.get(response["Location"])
    assert icon.status_code == 200
    assert icon["Content-Type"] == "image/svg+xml"
    assert b"<svg" in b"".join(icon.streaming_content)


@pytest.mark.django_db
def test_pages_link_the_same_icon(client):
    response = client.get("/")

    assert f'<link rel="icon" href="{static("img/favicon.svg")}"'.encode() in response.content
