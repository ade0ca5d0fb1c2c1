"""The site's small pieces a visitor sees on every page or stumbles on:
the favicon, the API documentation page under the site's CSP."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_api_docs_render_under_the_content_security_policy(page: Page, live_server):
    page.goto(f"{live_server.url}/api/docs/")

    # Swagger UI draws the operations from the schema: the page works, and the
    # browser reported no CSP violation or console error (the autouse watch).
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Kampung API")
    expect(page.locator(".opblock").first).to_be_visible()
    page.wait_for_load_state("networkidle")
