"""A tiny registry for the rare case where a producer must ASK a consumer
something at run time (after Wagtail's `hooks`).

The consumer registers in its AppConfig.ready():

    hooks.register(hooks.HEADER_ITEMS, points_balance_item)

and the producer asks:

    for fn in hooks.get_hooks(hooks.HEADER_ITEMS): ...

With nothing registered the producer must still work, so every call site
handles the empty case.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

# Named hooks, so a typo is an AttributeError rather than a silent no-op.
HEADER_ITEMS = "header_items"  # fn(request) -> dict | None, shown in the site header
USER_DATA_EXPORT = "user_data_export"  # fn(user) -> (section_name, json-able data)
USER_ANONYMISE = "user_anonymise"  # fn(user) -> None, minimise personal data of an account
# Amounts another app takes off an order (e.g. points). Register a provider
# object with:
#   code: str                               e.g. "loyalty.points", unique
#   quote(*, user, subtotal, choice) -> {"label": str, "amount": Decimal,
#         "data": dict} | None              what it would take off `subtotal`
#         (Decimal) for the shopper's `choice` (a string from the checkout
#         form or the API's "adjustments" object; "" when none was made)
#   takes_shipping: bool                    (optional, default False)
#         True: quote() and field() are also given `shipping` (Decimal: the
#         chosen method's cost after the coupon and after what providers
#         before it took off the shipping), and quote()'s answer may say
#         "off": "shipping" to take its amount off the shipping instead of
#         the goods (capped at `shipping`; it never lowers the taxable
#         amount). The order keeps the method's cost as its shipping_total
#         and lists the amount as a discount line, like any adjustment.
#   apply(*, order_id, user_id, amount, data) -> dict | None
#         called inside the transaction that creates the order; raise
#         core.exceptions.ApplicationError to refuse (the checkout then fails
#         and nothing is kept); the dict returned is stored with the line
#   release(*, order_id, user_id, amount, data, reason) -> None
#         called inside the cancel/refund transaction with the amount to give
#         back (all of it, or a refund's pro rata share), once per release
#   field(*, user, subtotal, choice[, shipping]) -> dict | None   (optional)
#         how the checkout page asks for the choice: {"label": str,
#         "help": str, "error": str, "type": "number" | "text", "value": str,
#         "min"/"max": int | None, "disabled": bool, "toggle": {"value": str,
#         "label": str, "checked": bool} | None (a checkbox that, ticked,
#         sends its value instead of what was typed)}; None asks nothing
CHECKOUT_ADJUSTMENTS = "checkout_adjustments"
# fn(user) -> set[int]: the ids of the products open to this signed-in member
# before their launch (to see and to buy). Asked once per request for the
# whole page, never once per product (CONVENTIONS §8). Return only products
# not launched yet: a member with a non-empty set gets card lists rendered for
# them alone instead of the shared ones.
PRODUCT_EARLY_ACCESS = "product_early_access"
# fn(product_ids: Iterable[int]) -> list of {"id": int, "name": str, "url": str,
# "image_url": str ("" without an image), "price": Decimal (the "from" price),
# "launch_at": datetime | None (the public launch)}: cards of the published
# products among these ids, in the order asked, for apps that list products
# without reading the shop's tables (loyalty's early access). Two queries for
# any number of ids. The first provider registered wins.
PRODUCT_CARDS = "product_cards"
# fn(product_ids: Iterable[int]) -> {product_id: datetime | None}: the public
# launch of each published product among these ids (None: launched with no
# date). One query. The first provider registered wins.
PRODUCT_LAUNCHES = "product_launches"
# fn(*, limit: int) -> list[int]: the ids of the published products whose
# public launch is still to come, soonest launch first, at most `limit`, for
# apps that open products early without reading the shop's tables (loyalty's
# demo drop). One query. The first provider registered wins.
UPCOMING_PRODUCTS = "upcoming_products"
FOR_YOU_PRODUCTS = "for_you_products"  # fn(user, limit) -> list[product ids] for the home page
# fn() -> {"rating_avg": Expression, "rating_count": Expression}: SQL over the
# product's reviews, correlated by OuterRef("pk") to a shop.Product queryset
# (e.g. Subquery of an Avg and a Count); rating_avg is NULL and rating_count 0
# or NULL for a product without reviews. The first provider registered wins.
PRODUCT_RATING_ANNOTATIONS = "product_rating_annotations"
# fn(*, request, product) -> list of {"code": str, "title": str, "count": int | None,
# "html": str (safe)}: sections below a product page (reviews, questions),
# each listed in the page's tabs with its count. Asked once per render of the
# page; a provider caches what every visitor sees alike and fills in the
# member's own parts. The visitors' stored page is orphaned by the provider's
# writes (shop.cache.product_pages_changed).
PRODUCT_PAGE_SECTIONS = "product_page_sections"
# fn(*, request) -> list of {"code": str, "html": str (safe)}: blocks on the
# home page below the catalogue lists (e.g. "Latest in the community").
HOME_SECTIONS = "home_sections"
# fn() -> list[str]: page-cache namespaces (core/pagecache.py) the home page's
# sections depend on, so the provider's bump() orphans the stored home page.
HOME_PAGE_NAMESPACES = "home_page_namespaces"
# fn(user_ids: Iterable[int]) -> {user_id: [{"label": str, "title": str}]}:
# marks shown next to members' names (tier, badges). Asked once per page for
# every name on it, never once per name (CONVENTIONS §8).
MEMBER_MARKS = "member_marks"
# fn(*, user) -> list of {"title": str, "html": str (safe)}: sections of a
# member's public profile that other apps contribute (loyalty's tier, badges).
PROFILE_SECTIONS = "profile_sections"
# fn(*, kind: str, ids: Iterable[int]) -> set[int]: of the community content
# of `kind` ("review", ...) with these ids, the ones whose author was
# rewarded for writing it (a disclosure line is shown under them).
CONTENT_INCENTIVISED = "content_incentivised"
# fn(user_ids: Iterable[int]) -> {user_id: int}: the members' community trust
# level (0 new, 1 basic, 2 member; a member without a profile is left out),
# in one query for all of them (loyalty's rules that need a trust level).
MEMBER_TRUST_LEVELS = "member_trust_levels"
# fn(*, user_id: int, product_ids: Iterable[int], before: datetime) -> list of
# {"kind": "review" | "answer", "id": int, "author_id": int, "product_id": int}:
# the published community content about these products, by other members,
# that this member was shown before `before` (first read first). Loyalty
# rewards those authors when the member buys ("contribution that sells").
CONTENT_READ = "content_read"
# fn(*, request, user) -> list of {"title": str, "html": str (safe)}: panels on
# a member's page in the admin (accounts' User change form), e.g. loyalty's
# points summary. `request` is the staff member's: a provider shows only what
# they may see (an empty list otherwise) and reads in a fixed number of
# queries. Asked once per render of the page.
ADMIN_USER_PANELS = "admin_user_panels"
# fn(question_ids: Iterable[int]) -> {question_id: {"id": int, "author_id": int,
# "title": str, "url": str (a path on this site), "status": str ("pending",
# "published", "hidden" or "removed"), "is_public": bool, "is_closed": bool
# (closed as a duplicate), "accepted_answer_id": int | None,
# "accepted_answer_author_id": int | None}}: what an app that cannot read the
# community's tables needs to know of questions (loyalty's bounties). One
# query for any number of ids; unknown ids are left out. The first provider
# registered wins.
QUESTION_FACTS = "question_facts"
# fn(question_id: int, *, exclude_author_ids: Iterable[int] = ()) ->
# {"answer_id": int, "author_id": int, "score": int} | None: the question's
# best-scored published answer (ties: the oldest first), leaving out the
# answers of these members; None without one. One query. The first provider
# registered wins.
QUESTION_TOP_ANSWER = "question_top_answer"
# fn(*, request, question: dict) -> list of {"code": str, "html": str (safe)}:
# panels other apps show on a question's page between the question and its
# answers (loyalty's bounty, with the form to offer one). `question` is the
# page's question as a QUESTION_FACTS entry, built from what the page has
# loaded. Asked once per render of the page; the provider fills in the
# member's own parts.
QUESTION_PANELS = "question_panels"
# fn(question_ids: Iterable[int]) -> {question_id: [{"label": str, "title": str}]}:
# marks shown beside questions in lists (a bounty's "+50"). Asked once per
# page for all its questions, never once per question (CONVENTIONS §8).
QUESTION_MARKS = "question_marks"
DEMO_DATA = "demo_data"  # fn(stdout) -> None, idempotent demo data for `manage.py seed_demo`

_registry: dict[str, list[tuple[int, Callable[..., Any]]]] = defaultdict(list)


def register(hook_name: str, fn: Callable[..., Any] | None = None, *, order: int = 0):
    """Register `fn` for `hook_name`; usable as a decorator."""

    def decorator(func: Callable[..., Any]) -> Callable[..., Any]:
        entries = _registry[hook_name]
        if all(existing is not func for _, existing in entries):
            entries.append((order, func))
            entries.sort(key=lambda entry: entry[0])
        return func

    return decorator(fn) if fn is not None else decorator


def get_hooks(hook_name: str) -> list[Callable[..., Any]]:
    return [fn for _, fn in _registry.get(hook_name, [])]


def call_first(hook_name: str, *args: Any, default: Any = None, **kwargs: Any) -> Any:
    """Return the first registered function's answer, or `default` if none."""
    for fn in get_hooks(hook_name):
        return fn(*args, **kwargs)
    return default


@contextmanager
def registered(hook_name: str, fn: Callable[..., Any], *, order: int = 0) -> Iterator[None]:
    """Register `fn` for the duration of a block (tests)."""
    register(hook_name, fn, order=order)
    try:
        yield
    finally:
        _registry[hook_name] = [e for e in _registry[hook_name] if e[1] is not fn]
