from __future__ import annotations

import io

from django.core.mail import EmailMessage

from core.mail import FileAndConsoleEmailBackend


def test_local_mail_is_saved_as_eml_file_and_printed(tmp_path):
    # given
    stream = io.StringIO()
    backend = FileAndConsoleEmailBackend(file_path=str(tmp_path / "mail"), stream=stream)
    message = EmailMessage(
        subject="Confirm your email",
        body="Open http://127.0.0.1:8000/accounts/confirm-email/abc/ to confirm.",
        from_email="no-reply@localhost",
        to=["budi@example.com"],
    )

    # when
    sent = backend.send_messages([message])

    # then
    files = list((tmp_path / "mail").glob("*.eml"))
    assert sent == 1
    assert len(files) == 1
    saved = files[0].read_text()
    assert "Subject: Confirm your email" in saved
    assert "/accounts/confirm-email/abc/" in saved
    assert "budi@example.com" in stream.getvalue()
    assert str(files[0]) in stream.getvalue()


def test_two_messages_in_the_same_instant_do_not_overwrite_each_other(tmp_path):
    # given
    backend = FileAndConsoleEmailBackend(file_path=str(tmp_path), stream=io.StringIO())
    messages = [EmailMessage(subject=f"m{i}", body="x", to=["a@example.com"]) for i in range(5)]

    # when
    backend.send_messages(messages)

    # then
    assert len(list(tmp_path.glob("*.eml"))) == 5
