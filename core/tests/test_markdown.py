from __future__ import annotations

from html.parser import HTMLParser

from core.markdown import render_markdown


def _tags(html: str) -> list[tuple[str, dict]]:
    found: list[tuple[str, dict]] = []

    class Parser(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.append((tag, dict(attrs)))

    Parser().feed(html)
    return found


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
    tags = _tags(html)
    assert {tag for tag, _ in tags} == {"p", "a"}
    assert not [name for _, attrs in tags for name in attrs if name.startswith("on")]
    assert not [a for _, attrs in tags for a in attrs.values() if "javascript:" in (a or "")]
    assert ("a", {"href": "https://ok.example", "rel": "nofollow noopener noreferrer"}) in tags
    # the tags nh3 would not keep are shown as text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img" in html


def test_links_are_nofollow():
    assert 'rel="nofollow noopener noreferrer"' in render_markdown("[a](https://example.com)")
