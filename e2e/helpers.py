"""Helpers the browser journeys share: mail read from the in-process outbox,
TOTP codes computed with allauth's own implementation, generated images."""

from __future__ import annotations

import contextlib
import re
import time
from pathlib import Path

from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.core import mail
from PIL import Image, ImageDraw
from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

# A code typed in the last moments of its 30 s step may reach the server in the
# next one; allauth accepts only the current step (MFA_TOTP_TOLERANCE = 0).
TOTP_SAFETY_SECONDS = 3


def wait_for_mail(*, to: str, subject: str, timeout: float = 10.0):
    """The newest message to `to` whose subject contains `subject`.

    The live server runs in a thread of the test process, so its locmem
    backend appends to this process's `mail.outbox`."""
    deadline = time.monotonic() + timeout
    while True:
        for message in reversed(getattr(mail, "outbox", [])):
            if to in message.to and subject.lower() in message.subject.lower():
                return message
        if time.monotonic() > deadline:
            sent = [(m.to, m.subject) for m in getattr(mail, "outbox", [])]
            raise AssertionError(f"no mail to {to} about {subject!r}; sent: {sent}")
        time.sleep(0.1)


def link_in(message, path_fragment: str) -> str:
    match = re.search(rf"https?://\S*{re.escape(path_fragment)}\S*", message.body)
    assert match, f"no link containing {path_fragment!r} in:\n{message.body}"
    return match.group(0)


def code_in(message) -> str:
    """The sign-in code: a line of its own, upper-case letters and digits in
    dash-separated groups (allauth writes e.g. ``DXHQ-GTLP``)."""
    match = re.search(r"^\s*([A-Z0-9]{3,}(?:-[A-Z0-9]{3,})*)\s*$", message.body, re.MULTILINE)
    assert match, f"no code in:\n{message.body}"
    return match.group(1)


class Authenticator:
    """A stand-in for the user's authenticator app.

    allauth refuses a code that was already used, so each code handed out
    belongs to a time step no earlier code came from."""

    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.used_steps: set[int] = set()

    def fresh_code(self) -> str:
        period = mfa_settings.TOTP_PERIOD
        while True:
            now = time.time()
            step = int(now) // period
            left_in_step = period - now % period
            if step not in self.used_steps and left_in_step > TOTP_SAFETY_SECONDS:
                self.used_steps.add(step)
                return format_hotp_value(hotp_value(self.secret, step))
            time.sleep(left_in_step + 0.05)


def write_png(path: Path, *, size: tuple[int, int] = (320, 200)) -> Path:
    """A small non-square PNG (the avatar is cropped to a square)."""
    image = Image.new("RGB", size, (34, 139, 84))
    draw = ImageDraw.Draw(image)
    draw.ellipse((size[0] // 4, 20, size[0] * 3 // 4, size[1] - 20), fill=(250, 200, 40))
    image.save(path, format="PNG")
    return path


def expect_image_loaded(page: Page, selector: str) -> None:
    """The <img> is visible and its bytes were fetched and decoded."""
    image = page.locator(selector).first
    expect(image).to_be_visible()
    page.wait_for_function("el => el.complete && el.naturalWidth > 0", arg=image.element_handle())


def expect_stylesheets_applied(page: Page) -> list[str]:
    """Every stylesheet the page links was served and parsed.

    A sheet blocked by the CSP, or a 404, has no rules to read; returns the
    sheets' URLs so a test can say which it saw. A sheet still loading has
    none yet either, so it waits (up to 5 s) for every linked one first."""
    with contextlib.suppress(PlaywrightTimeoutError):
        page.wait_for_function(
            """() => Array.from(document.querySelectorAll('link[rel="stylesheet"]')).every(
                link => Array.from(document.styleSheets).some(sheet => {
                    if (sheet.href !== link.href) return false;
                    try { return sheet.cssRules.length > 0; } catch (e) { return false; }
                }))""",
            timeout=5000,
        )
    sheets = page.evaluate(
        """() => Array.from(document.styleSheets).map(sheet => {
            let rules = -1;
            try { rules = sheet.cssRules.length; } catch (e) { rules = -1; }
            return {href: sheet.href, rules};
        })"""
    )
    linked = page.eval_on_selector_all(
        'link[rel="stylesheet"]', "links => links.map(link => link.href)"
    )
    assert linked, "the page links no stylesheet"
    loaded = {sheet["href"]: sheet["rules"] for sheet in sheets if sheet["href"]}
    for href in linked:
        assert loaded.get(href, 0) > 0, f"stylesheet {href} did not load (sheets: {sheets})"
    return linked
