"""allauth's mail goes through the mail outbox: a request records it and
queues its send on commit, and never talks to the mail server itself."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import translation

from accounts.tests.factories import PASSWORD, UserFactory
from core import mailer
from core.models import OutgoingEmail
from core.testing.smtp import HungSmtpServer

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued(monkeypatch) -> list[int]:
    """Sends handed to the broker (here: kept, for a worker that is not there)."""
    handed: list[int] = []
    monkeypatch.setattr(
        mailer, "enqueue_email", lambda email_id, force=False: handed.append(email_id) or True
    )
    return handed


def test_signup_queues_its_verification_mail_without_waiting_on_a_hung_mail_server(
    client, settings, queued
):
    # given a mail server that never answers
    with HungSmtpServer() as server:
        settings.MAILERS = server.mailers(timeout=1)

        # when someone signs up
        response = client.post(
            reverse("account_signup"),
            {"email": "new@example.com", "password1": PASSWORD, "password2": PASSWORD},
        )

        # then the request never touched the mail server
        assert response.status_code == 302
        assert not server.accepted.is_set()

    # and the mail is recorded, rendered, and queued on commit
    [email] = OutgoingEmail.objects.filter(to=["new@example.com"])
    assert queued == [email.pk]
    assert email.kind == "account.email_confirmation_signup"
    assert email.status == OutgoingEmail.Status.PENDING
    assert "/accounts/confirm-email/" in email.body_text
    assert "new@example.com" in email.key
    assert re.search(r"confirm-email/([^/\s]+)", email.body_text).group(1) not in email.key


def test_a_login_code_is_queued_on_commit_and_arrives_in_the_requests_language(client, queued):
    # given
    UserFactory(email="member@example.com", verified=True)

    # when a member asks for a code on the Indonesian site
    with translation.override("id"):
        client.post(
            reverse("account_request_login_code"),
            {"email": "member@example.com"},
            HTTP_ACCEPT_LANGUAGE="id",
        )

    # then one send is queued; the worker's send delivers the code
    [email_id] = queued
    assert mailer.email_send(email_id=email_id) is True
    [message] = mail.outbox
    assert message.to == ["member@example.com"]
    email = OutgoingEmail.objects.get(pk=email_id)
    assert email.kind == "account.login_code"
    assert email.language == "id"
    # and the code is not kept once sent
    assert email.status == OutgoingEmail.Status.SENT
    assert email.body_text == ""
