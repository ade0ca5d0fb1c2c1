"""User text is untrusted: markdown is rendered, then sanitized with nh3, so
whatever HTML the author typed (or markdown produced) only keeps safe tags.

Raw HTML the author typed stays markup only for a tag nh3 keeps (`<sub>`,
`<b>`, `<abbr>`...); any other tag, and an HTML comment, is shown as the
text it is. Passed to nh3, such a tag left open (`<style>`, `<script>`,
`<textarea>`, or any block tag Python-Markdown would take with everything
after it as raw HTML) would drop the rest of the author's text."""

from __future__ import annotations

import re

import markdown as markdown_lib
import nh3
from markdown.extensions import Extension
from markdown.inlinepatterns import HTML_RE, HtmlInlineProcessor

ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "code",
    "del",
    "em",
    "h2",
    "h3",
    "h4",
    "hr",
    "i",
    "li",
    "ol",
    "p",
    "pre",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "th": {"align"}, "td": {"align"}}


_TAG_NAME = re.compile(r"</?([a-zA-Z][a-zA-Z0-9]*)")


class _AllowedTagProcessor(HtmlInlineProcessor):
    """Inline raw HTML: a tag nh3 keeps is stored as markup; anything else
    is no match, so it stays text (and is escaped like any other)."""

    def handleMatch(self, m, data):
        name = _TAG_NAME.match(m.group(1))
        if name is None or name.group(1).lower() not in ALLOWED_TAGS:
            return None, None, None
        return super().handleMatch(m, data)


class _MemberHtmlExtension(Extension):
    """No raw HTML blocks (a line opening a tag is a paragraph like any
    other), and only allowed tags as inline raw HTML."""

    def extendMarkdown(self, md):
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.register(_AllowedTagProcessor(HTML_RE, md), "html", 90)


def render_markdown(text: str) -> str:
    """Markdown to safe HTML. Links get rel="nofollow noopener noreferrer"."""
    html = markdown_lib.markdown(
        text or "",
        extensions=["extra", "sane_lists", _MemberHtmlExtension()],
        output_format="html",
    )
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener noreferrer",
    )
