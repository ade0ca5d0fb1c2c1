"""Browser journeys: Playwright's Chromium against pytest-django's live server.

The live server runs in a thread of the test process: mail it sends lands in
`django.core.mail.outbox`, and it serves static files (through staticfiles'
finders) and media (from MEDIA_ROOT) itself."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from conftest import require_service

# Playwright's sync API runs an event loop in this thread; the ORM calls the
# tests make next to it are synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    require_service(
        "Chromium",
        os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK),
        f"{CHROMIUM} (apt-get install chromium, or set E2E_CHROMIUM)",
    )
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": CHROMIUM_ARGS,
        "headless": True,
    }


@pytest.fixture(autouse=True)
def _e2e_cache(settings):
    """The local default cache is a directory every local process shares (the
    dev server, other test runs). Rate limits and allauth's used-TOTP-code
    marks must neither leak into nor out of a journey, so a journey gets a
    private in-memory cache; a configured server cache (Redis in CI) stays."""
    backend = settings.CACHES["default"]["BACKEND"]
    if backend.endswith("FileBasedCache"):
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                "LOCATION": "e2e",
            }
        }
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(scope="session")
def compiled_translations() -> bool:
    """Compile locale/ once if any catalogue has no .mo yet (the Makefile
    does it for a normal run). False when the project has no translations."""
    locale_dir = Path(settings.BASE_DIR) / "locale"
    catalogues = list(locale_dir.glob("*/LC_MESSAGES/*.po"))
    if not catalogues:
        return False
    if any(
        not po.with_suffix(".mo").exists()
        or po.with_suffix(".mo").stat().st_mtime < po.stat().st_mtime
        for po in catalogues
    ):
        call_command("compilemessages", ignore=[".venv", "node_modules"], verbosity=0)
        from django.utils.translation import trans_real

        # Catalogues this process already loaded were read without the new .mo
        # (what Django's own setting_changed handler for LOCALE_PATHS resets).
        trans_real._translations = {}
        trans_real._default = None
    return True


@dataclass
class BrowserProblems:
    """JS errors, console errors (CSP violations are reported there) and
    same-origin subresources that failed, seen during one test."""

    origin: str
    problems: list[str] = field(default_factory=list)
    allowed: list[re.Pattern] = field(default_factory=list)

    def allow(self, pattern: str) -> None:
        """Tolerate an expected console message (e.g. a 4xx a test provokes)."""
        self.allowed.append(re.compile(pattern))

    def add(self, problem: str) -> None:
        self.problems.append(problem)

    def unexpected(self) -> list[str]:
        return [p for p in self.problems if not any(a.search(p) for a in self.allowed)]


@pytest.fixture(autouse=True)
def browser_problems(page, live_server) -> BrowserProblems:
    watch = BrowserProblems(origin=live_server.url)

    def on_console(message) -> None:
        text = message.text
        if message.type == "error" or "Content Security Policy" in text:
            where = message.location.get("url", "") if message.location else ""
            watch.add(f"console {message.type}: {text} ({where})")

    def on_response(response) -> None:
        # A page may answer 4xx on purpose (an invalid form is a 400); a
        # subresource may not, and nothing may answer 5xx.
        request = response.request
        is_page = request.resource_type == "document"
        if response.url.startswith(watch.origin) and (
            response.status >= 500 or (response.status >= 400 and not is_page)
        ):
            watch.add(f"{request.resource_type} {response.url} answered {response.status}")

    def on_request_failed(request) -> None:
        # ERR_ABORTED is a request cut short by the next navigation, not a fault;
        # a missing file shows up as its 4xx response above.
        failure = request.failure or ""
        if request.url.startswith(watch.origin) and "ERR_ABORTED" not in failure:
            watch.add(f"request failed: {request.url} ({failure})")

    page.on("console", on_console)
    page.on("pageerror", lambda error: watch.add(f"page error: {error}"))
    page.on("response", on_response)
    page.on("requestfailed", on_request_failed)
    page.set_default_timeout(10_000)
    return watch


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """Fail the test itself (not its teardown) when the browser complained."""
    result = yield
    watch = item.funcargs.get("browser_problems")
    if watch is not None:
        unexpected = watch.unexpected()
        if unexpected:
            pytest.fail("the browser reported problems:\n" + "\n".join(unexpected))
    return result
