"""Mail helpers. Local mail: every message is written to var/mail/ as an
.eml file a person can open (verification links, login codes) and printed to
the console. Links in mail are built on settings.KAMPUNG_BASE_URL."""

from __future__ import annotations

import secrets
import sys
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone


def absolute_url(path: str) -> str:
    """`path` on the site's public address, for a link in an email. Not the
    Site row's domain: it says nothing of the scheme or port, and mail sent
    from a worker has no request to take them from."""
    return settings.KAMPUNG_BASE_URL.rstrip("/") + "/" + path.lstrip("/")


class FileAndConsoleEmailBackend(BaseEmailBackend):
    def __init__(self, *, file_path: str, stream=None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.directory = Path(file_path)
        self.stream = stream or sys.stdout

    def send_messages(self, email_messages) -> int:
        self.directory.mkdir(parents=True, exist_ok=True)
        sent = 0
        for message in email_messages:
            raw = message.message().as_bytes()
            stamp = timezone.now().strftime("%Y%m%d-%H%M%S-%f")
            path = self.directory / f"{stamp}-{secrets.token_hex(3)}.eml"
            path.write_bytes(raw)
            self.stream.write(f"--- mail to {', '.join(message.to)} saved as {path}\n")
            self.stream.write(raw.decode("utf-8", errors="replace") + "\n")
            self.stream.flush()
            sent += 1
        return sent
