"""Every payload of the XSS corpus (e2e/xss.py) comes out of the markdown
renderer with no tag or attribute that could run script."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from core.markdown import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, render_markdown
from e2e.xss import BODY_PAYLOADS

DANGEROUS_SCHEMES = ("javascript:", "data:", "vbscript:")


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in ALLOWED_TAGS:
            self.problems.append(f"tag <{tag}>")
        allowed = ALLOWED_ATTRIBUTES.get(tag, set()) | {"rel"}
        for name, value in attrs:
            if name not in allowed:
                self.problems.append(f"attribute {name} on <{tag}>")
            cleaned = "".join((value or "").split()).lower()
            if name == "href" and cleaned.startswith(DANGEROUS_SCHEMES):
                self.problems.append(f"href {value!r}")


@pytest.mark.parametrize("payload", BODY_PAYLOADS)
def test_payload_renders_inert(payload):
    collector = _Collector()
    collector.feed(render_markdown(payload))
    assert collector.problems == []


def test_the_corpus_would_be_caught_unsanitized():
    # The checker itself finds the payloads in raw HTML (so a pass above means
    # something).
    collector = _Collector()
    collector.feed("\n".join(BODY_PAYLOADS))
    assert len(collector.problems) >= 10


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []

    def handle_data(self, data):
        self.parts.append(data)


def _text_of(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    parser.close()
    return " ".join("".join(parser.parts).split())


# A tag the sanitizer drops with its content, or whose content the browser
# reads as raw text, left open: what the member wrote after it is still there.
UNCLOSED_TAGS = [
    "<style>",
    "<script>",
    "<textarea>",
    "<title>",
    "<noscript>",
    "<xmp>",
    "<plaintext>",
    "<iframe>",
    "<template>",
    "<select>",
    "<svg>",
    "<math>",
    "<div>",
    '<style type="text/css">',
    "<!--",
]


@pytest.mark.parametrize("tag", UNCLOSED_TAGS)
def test_text_after_an_unclosed_tag_survives_inline(tag):
    html = render_markdown(f"Before {tag} after it, **bold**\n\nThe next paragraph.")
    collector = _Collector()
    collector.feed(html)
    assert collector.problems == []
    assert "<strong>bold</strong>" in html  # still markdown after the tag
    assert _text_of(html) == f"Before {tag} after it, bold The next paragraph."


@pytest.mark.parametrize("tag", UNCLOSED_TAGS)
def test_text_after_an_unclosed_tag_survives_at_the_start_of_a_block(tag):
    html = render_markdown(f"{tag}\nbody {{ color: red }}\n\nThe **next** paragraph.")
    collector = _Collector()
    collector.feed(html)
    assert collector.problems == []
    assert "<strong>next</strong>" in html
    assert _text_of(html) == f"{tag} body {{ color: red }} The next paragraph."


def test_a_closed_script_or_style_shows_as_text():
    html = render_markdown("<style>p{}</style> and <script>alert(1)</script> here")
    collector = _Collector()
    collector.feed(html)
    assert collector.problems == []
    assert _text_of(html) == "<style>p{}</style> and <script>alert(1)</script> here"


def test_allowed_inline_tags_still_render():
    html = render_markdown("H<sub>2</sub>O, <b>bold</b>, <abbr title='x'>abbr</abbr><br>end")
    assert "H<sub>2</sub>O" in html
    assert "<b>bold</b>" in html
    assert '<abbr title="x">abbr</abbr>' in html
    assert "<br>" in html
