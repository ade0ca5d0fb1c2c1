from __future__ import annotations

import pytest
from django.contrib.sites.models import Site
from django.core import mail


@pytest.mark.django_db
def test_account_mails_name_the_shop_even_when_the_site_row_says_example_com(client, settings):
    # given: the Site row as Django re-creates it after a flushed table
    Site.objects.update_or_create(
        pk=settings.SITE_ID, defaults={"name": "example.com", "domain": "example.com"}
    )
    Site.objects.clear_cache()

    # when
    client.post(
        "/accounts/signup/",
        {
            "email": "rina@example.org",
            "password1": "a-long-passphrase-42",
            "password2": "a-long-passphrase-42",
        },
    )

    # then
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    assert f"Hello from {settings.SITE_NAME}!" in body
    assert "example.com" not in body
