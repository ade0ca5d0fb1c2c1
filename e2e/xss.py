"""Cross-site scripting payloads, and a check that a page rendered them inert.

Each payload, if it ran, would set `window.__xss` or open a dialog. The
check also looks at the DOM itself, so a payload the Content-Security-Policy
happened to block still fails the test if its markup got through: member
text must come out sanitized, not merely blocked."""

from __future__ import annotations

import contextlib
from html.parser import HTMLParser

# Markdown bodies: rendered, then sanitized.
BODY_PAYLOADS = [
    "<script>window.__xss=1;alert(1)</script>",
    '<img src=x onerror="window.__xss=2;alert(2)">',
    '<svg onload="window.__xss=3"><circle r=10></circle></svg>',
    "<svg><script>window.__xss=4</script></svg>",
    "[click me](javascript:window.__xss=5)",
    "[click me](JaVaScRiPt:window.__xss=6)",
    "[click me](&#106;avascript:window.__xss=7)",
    "[data](data:text/html;base64,PHNjcmlwdD53aW5kb3cuX194c3M9ODwvc2NyaXB0Pg==)",
    "![img](javascript:window.__xss=9)",
    '![x" onerror="window.__xss=10](https://example.com/x.png)',
    '[t](https://example.com "a\\" onmouseover=\\"window.__xss=11")',
    '<a href="javascript:window.__xss=12">link</a>',
    '<a href="&#x6A;avascript:window.__xss=13">link</a>',
    '<iframe src="javascript:window.__xss=14"></iframe>',
    '<object data="javascript:window.__xss=15"></object>',
    '<details open ontoggle="window.__xss=16">x</details>',
    '<math><mtext><table><mglyph><style><img src=x onerror="window.__xss=17">',
    '<input autofocus onfocus="window.__xss=18">',
    '"><script>window.__xss=19</script>',
    '\'><img src=x onerror="window.__xss=20">',
    '<style>body{display:none}</style><p style="position:fixed">styled</p>',
    '<body onload="window.__xss=21">',
    "`<script>window.__xss=22</script>` in code",
    '<form action="javascript:window.__xss=23"><button>go</button></form>',
]

# The attributes whose URL a browser would follow or run.
SCRIPT_URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "xlink:href"}


class _MarkupCheck(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in {"script", "iframe", "object", "embed", "svg", "math", "style", "form"}:
            self.problems.append(f"element <{tag}>")
        for name, value in attrs:
            cleaned = "".join((value or "").split()).lower()
            if name.startswith("on"):
                self.problems.append(f"handler {name} on <{tag}>")
            if name in SCRIPT_URL_ATTRIBUTES and cleaned.startswith(
                ("javascript:", "data:", "vbscript:")
            ):
                self.problems.append(f"{name}={value!r} on <{tag}>")


def markup_problems(html: str) -> list[str]:
    """What in an API's sanitized HTML could run script: elements, handlers
    and script URLs (markup typed by a member shows as text, and may read
    like a payload without being one)."""
    check = _MarkupCheck()
    check.feed(html)
    check.close()
    return check.problems


# One-line fields (titles, option labels, names): escaped, never rendered.
LINE_PAYLOADS = [
    '"><svg onload=window.__xss=31>',
    "<script>window.__xss=32</script>",
    "'><img src=x onerror=window.__xss=33>",
    "</title><script>window.__xss=34</script>",
]

ALL_BODIES = "\n\n".join(BODY_PAYLOADS)

DOM_CHECK = """
(selector) => {
  const problems = [];
  const roots = selector ? document.querySelectorAll(selector) : [document.body];
  for (const root of roots) {
    for (const el of root.querySelectorAll('*')) {
      const tag = el.tagName.toLowerCase();
      if (['script', 'iframe', 'object', 'embed', 'svg', 'math', 'style', 'form', 'input',
           'base', 'meta', 'link'].includes(tag) && root !== document.body) {
        problems.push('element <' + tag + '> in member content');
      }
      for (const attr of el.attributes) {
        const name = attr.name.toLowerCase();
        const value = attr.value.replace(/[\\s\\u0000-\\u001f]/g, '').toLowerCase();
        if (name.startsWith('on')) problems.push('handler ' + name + ' on <' + tag + '>');
        if (['href', 'src', 'action', 'formaction', 'data', 'xlink:href'].includes(name) &&
            (value.startsWith('javascript:') || value.startsWith('data:') ||
             value.startsWith('vbscript:'))) {
          problems.push(name + '=' + attr.value + ' on <' + tag + '>');
        }
        if (name === 'style' && root !== document.body) problems.push('style on <' + tag + '>');
      }
    }
  }
  if (window.__xss !== undefined) problems.push('payload ran: window.__xss=' + window.__xss);
  return problems;
}
"""


class DialogWatch:
    """Records any dialog (alert, confirm, prompt) a page opens, and closes it."""

    def __init__(self, page) -> None:
        self.opened: list[str] = []
        page.on("dialog", self._on_dialog)

    def _on_dialog(self, dialog) -> None:
        self.opened.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()


def inert_problems(page, selector: str | None = None) -> list[str]:
    """What on the current page shows a payload got through: elements and
    attributes that could run script inside `selector` (member content),
    or a payload that ran anywhere. Hovers and focuses the member content
    first, so handlers that need an interaction would have fired."""
    if selector:
        for element in page.locator(selector).all()[:20]:
            # An element that cannot be hovered (hidden, covered) is skipped.
            with contextlib.suppress(Exception):
                element.hover(timeout=1000)
    return page.evaluate(DOM_CHECK, selector)
