"""Test settings for a Celery worker subprocess that sends mail over SMTP to
a test's sink (core.testing.smtp.SmtpSink) on KAMPUNG_TEST_SMTP_PORT."""

from __future__ import annotations

from config.settings.test import *  # noqa: F403
from config.settings.test import env

MAILERS = {
    "default": {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {
            "host": "127.0.0.1",
            "port": env.int("KAMPUNG_TEST_SMTP_PORT"),
            "timeout": env.float("EMAIL_TIMEOUT", default=5.0),
        },
    }
}
