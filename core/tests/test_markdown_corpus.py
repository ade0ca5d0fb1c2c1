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
