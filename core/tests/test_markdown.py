from __future__ import annotations

from core.markdown import render_markdown


def test_markdown_is_rendered():
    html = render_markdown("**Batik** _tulis_\n\n- one\n- two")
    assert "<strong>Batik</strong>" in html
    assert "<em>tulis</em>" in html
    assert "<li>one</li>" in html


def test_scripts_event_handlers_and_javascript_links_are_removed():
    html = render_markdown(
        '<script>alert(1)</script><img src=x onerror="alert(2)">'
        '[click](javascript:alert(3)) <a href="https://ok.example" onclick="x()">ok</a>'
    )
    assert "<script" not in html
    assert "onerror" not in html
    assert "onclick" not in html
    assert "javascript:" not in html
    assert "<img" not in html
    assert 'href="https://ok.example"' in html


def test_links_are_nofollow():
    assert 'rel="nofollow noopener noreferrer"' in render_markdown("[a](https://example.com)")
