from __future__ import annotations

import json
import re
from urllib.parse import urlparse

import pytest
from drf_spectacular.validation import validate_schema

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(client) -> dict:
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return json.loads(response.content)


def test_schema_is_a_valid_openapi_3_document(schema):
    # when / then: raises on an invalid document
    validate_schema(schema)
    assert schema["openapi"].startswith("3.")


def test_schema_documents_the_account_endpoints(schema):
    # then
    assert {"/api/v1/me/", "/api/v1/me/tokens/", "/api/v1/me/tokens/{token_id}/"} <= set(
        schema["paths"]
    )
    me = schema["paths"]["/api/v1/me/"]
    assert set(me) >= {"get", "patch"}
    assert "multipart/form-data" in me["patch"]["requestBody"]["content"]


def test_schema_documents_the_members_language(schema):
    # then: shown, and changed with one of the site's languages
    components = schema["components"]["schemas"]
    assert "language" in components["Me"]["properties"]
    language = components["PatchedMeUpdateRequest"]["properties"]["language"]
    assert "language" not in components["PatchedMeUpdateRequest"].get("required", [])
    choices = components[language["$ref"].rsplit("/", 1)[1]] if "$ref" in language else language
    if "oneOf" in language:
        choices = next(
            components[option["$ref"].rsplit("/", 1)[1]]
            for option in language["oneOf"]
            if "$ref" in option and "enum" in components[option["$ref"].rsplit("/", 1)[1]]
        )
    assert set(choices["enum"]) >= {"en", "id"}


def test_schema_documents_token_authentication(schema):
    # then
    schemes = schema["components"]["securitySchemes"]
    assert any(
        s.get("in") == "header" and s.get("name") == "Authorization" for s in schemes.values()
    )


def test_schema_documents_the_error_shape(schema):
    # then
    responses = schema["paths"]["/api/v1/me/"]["patch"]["responses"]
    assert {"200", "400", "401", "429"} <= set(responses)
    components = schema["components"]["schemas"]
    assert set(components["Error"]["properties"]) == {"detail", "code"}
    assert set(components["ValidationError"]["properties"]) == {"detail", "code", "errors"}


def test_schema_component_names_are_specific_to_accounts(schema):
    # then: generic nested names (Input, Output) would collide with other apps'
    names = set(schema["components"]["schemas"])
    assert {
        "Me",
        "PatchedMeUpdateRequest",
        "ApiToken",
        "ApiTokenCreateRequest",
        "ApiTokenCreated",
    } <= names
    assert not names & {"Input", "Output", "InputRequest", "PatchedInputRequest"}


def test_schema_never_exposes_the_token_key_in_lists(schema):
    # then
    listed = schema["components"]["schemas"]["ApiToken"]["properties"]
    assert "key" not in listed
    assert "key_hash" not in listed


def test_api_docs_page_loads_only_local_assets(client):
    # when
    response = client.get("/api/docs/")

    # then
    assert response.status_code == 200
    html = response.content.decode()
    urls = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert urls
    for url in urls:
        assert not urlparse(url).netloc, url
        # Static assets, and the split view's own script (served by the app).
        assert url.startswith(("/static/", "/api/docs/?script")), url
    assert "cdn" not in html.lower()


def test_api_docs_page_has_no_inline_script_blocked_by_the_csp(client):
    # when
    response = client.get("/api/docs/")

    # then
    inline_scripts = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", response.content.decode())
    assert inline_scripts == []
