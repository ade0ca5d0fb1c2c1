"""Forum writes: starting threads, replying, editing and deleting posts,
likes, read positions, watches, and the moderators' thread tools.

Lock order, everywhere: the thread row, then the member's profile
(member_posting_check), then the category row (thread_recount). Post numbers
are handed out under the thread's lock, so concurrent replies get 2, 3, 4...
with neither duplicates nor gaps."""

from __future__ import annotations

import re

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Max, Sum
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.html import conditional_escape, format_html
from django.utils.text import slugify
from django.utils.translation import gettext as _

from community.events import PostCreated, PostLiked, ThreadCreated
from community.models import (
    ContentStatus,
    ForumCategory,
    ModerationAction,
    Post,
    PostLike,
    Thread,
    ThreadRead,
    Watch,
)
from community.permissions import is_moderator
from community.services.members import (
    MENTION_PATTERN,
    handles_resolve,
    member_can_vote_check,
    member_posting_check,
    mentions_in,
)
from community.services.moderation import (
    body_render,
    content_created,
    content_edit,
    content_remove,
    text_clean,
)
from core import pagecache
from core.events import publish
from core.exceptions import ApplicationError
from shop import selectors as shop_selectors

Action = ModerationAction.Action

TITLE_MIN, TITLE_MAX = 5, 150
BODY_MAX = 20000
MAX_TAGS = 5
TAG_MAX = 30
FORUMS_NAMESPACE = "community:forums"

# "@handle wrote:" on a line of its own, the attribution a Quote button writes.
QUOTE_ATTRIBUTION = re.compile(r"^\s*@([a-z0-9][a-z0-9_-]{1,39}) wrote:\s*$", re.I | re.M)
_QUOTED_LINE = re.compile(r"^\s*>.*$", re.M)
# A tag of nh3's output: attribute values are always double-quoted there,
# with any quote inside escaped, so this never ends a tag early.
_HTML_TAG = re.compile(r'(<(?:[^>"]|"[^"]*")*>)')
_NO_LINK_INSIDE = re.compile(r"<(/?)(a|code|pre)\b", re.I)
# A quote's attribution in body_html is stored without words: the quoted
# member's @handle (linked when they are a member) in a paragraph of this
# class, which only the renderer writes (nh3 keeps no class). The words are
# the reader's, added when shown (quote_attributions_localise). Posts
# rendered before kept the English words ("<p>@handle wrote:</p>").
QUOTE_BY_CLASS = "forum-quote-by"
_QUOTE_BY = r'(?:<a class="mention" href="[^"<>]*">@[a-z0-9_-]+</a>|@[a-z0-9][a-z0-9_-]{1,39})'
_ATTRIBUTION_WITH_WORDS = re.compile(rf"<p>({_QUOTE_BY}) wrote:</p>", re.I)
_STORED_ATTRIBUTION = re.compile(
    rf'<p class="{QUOTE_BY_CLASS}">({_QUOTE_BY})</p>|<p>({_QUOTE_BY}) wrote:</p>', re.I
)


# ------------------------------------------------------------------- text
def quoted_handles(body_md: str) -> list[str]:
    seen: list[str] = []
    for match in QUOTE_ATTRIBUTION.finditer(body_md or ""):
        handle = match.group(1).lower()
        if handle not in seen:
            seen.append(handle)
    return seen


def mentioned_handles(body_md: str) -> list[str]:
    """The @handles the member wrote themselves: not those in quoted lines
    or in a quote's attribution (quoting a post does not mention again)."""
    own = QUOTE_ATTRIBUTION.sub("", _QUOTED_LINE.sub("", body_md or ""))
    return mentions_in(own)


def quote_text(*, body_md: str, handle: str) -> str:
    """A reply's opening that quotes `body_md`, attributed to `handle`. The
    "@handle wrote:" line is the quote's mark in the markdown, the same in
    every language (quoted_handles() reads it); readers see it in their own
    language (forum_body_render, quote_attributions_localise)."""
    lines = (body_md or "").strip().splitlines()
    quoted = "\n".join(f"> {line}" if line.strip() else ">" for line in lines)
    attribution = f"@{handle} wrote:\n" if handle else ""
    return f"{attribution}{quoted}\n\n"


def _profile_url(handle: str) -> str:
    try:
        return reverse("community:profile", args=[handle])
    except NoReverseMatch:
        return ""


def mentions_link(html: str, handles: dict[str, int]) -> str:
    """Link each @handle of an existing member in sanitized HTML to their
    profile. Only text between tags is touched, never inside a link or code;
    a handle is letters, digits, _ and -, so nothing it adds needs escaping
    beyond what format_html does."""
    if not handles:
        return html
    parts = _HTML_TAG.split(html)
    depth = 0

    def link(match: re.Match) -> str:
        handle = match.group(1).lower()
        url = _profile_url(handle) if handle in handles else ""
        if not url:
            return match.group(0)
        return format_html('<a class="mention" href="{}">@{}</a>', url, match.group(1))

    for index, part in enumerate(parts):
        if index % 2:  # a tag
            found = _NO_LINK_INSIDE.match(part)
            if found:
                depth = max(0, depth + (-1 if found.group(1) else 1))
            continue
        if depth == 0 and "@" in part:
            parts[index] = MENTION_PATTERN.sub(link, part)
    return "".join(parts)


def forum_body_render(body_md: str) -> str:
    """Markdown, sanitized, with members' @handles linked (one query), and
    each quote's attribution stored without words (QUOTE_BY_CLASS)."""
    html = body_render(body_md)
    handles = handles_resolve(handles=mentions_in(body_md))
    html = mentions_link(html, handles)
    return _ATTRIBUTION_WITH_WORDS.sub(rf'<p class="{QUOTE_BY_CLASS}">\1</p>', html)


def quote_attributions_localise(body_html: str) -> str:
    """A post's stored HTML as shown: each quote's attribution in the
    active language ("@budi wrote:"), no query. Also for posts stored with
    the English words."""
    if QUOTE_BY_CLASS not in body_html and " wrote:</p>" not in body_html:
        return body_html
    words = conditional_escape(_("%(who)s wrote:"))

    def localise(match: re.Match) -> str:
        who = match.group(1) or match.group(2)
        return f'<p class="{QUOTE_BY_CLASS}">{words % {"who": who}}</p>'

    return _STORED_ATTRIBUTION.sub(localise, body_html)


def _body_clean(body: str | None) -> str:
    return text_clean(body, label=_("Text"), max_length=BODY_MAX)


def _title_clean(title: str | None) -> str:
    return text_clean(title, label=_("Title"), min_length=TITLE_MIN, max_length=TITLE_MAX)


def tags_clean(tags) -> list[str]:
    """Tags from a list or a comma-separated string: lower case, unique."""
    if isinstance(tags, str):
        tags = tags.split(",")
    cleaned: list[str] = []
    for raw in tags or ():
        tag = " ".join(str(raw).split()).lower()
        if not tag:
            continue
        if len(tag) > TAG_MAX:
            raise ApplicationError(
                _("A tag can be at most %(max)d characters.") % {"max": TAG_MAX}, code="tag"
            )
        if not slugify(tag):
            raise ApplicationError(_("Use letters or digits in tags."), code="tag")
        if tag not in cleaned:
            cleaned.append(tag)
    if len(cleaned) > MAX_TAGS:
        raise ApplicationError(
            _("Add at most %(max)d tags.") % {"max": MAX_TAGS}, code="too_many_tags"
        )
    return cleaned


def _slug(title: str) -> str:
    return slugify(title)[:160].strip("-") or "thread"


# ----------------------------------------------------------------- pages
def forum_pages_changed(*, thread_ids=(), category: bool = True) -> None:
    """Orphan the cached pages (visitors' pages and members' shared post
    lists) that show these threads, after the transaction commits."""
    namespaces = [f"community:thread:{pk}" for pk in thread_ids]
    if category:
        namespaces.append(FORUMS_NAMESPACE)
    pagecache.bump(*namespaces, reason="forums")


# --------------------------------------------------------------- counters
def thread_recount(*, thread_id: int) -> None:
    """Recount a thread (status from its opening post, replies, likes, last
    post) and its category. Call inside a transaction: it locks the thread,
    then the category."""
    thread = Thread.objects.select_for_update().filter(pk=thread_id).first()
    if thread is None:
        return
    posts = Post.objects.filter(thread_id=thread_id)
    first_status = posts.filter(number=1).values_list("status", flat=True).first()
    public = posts.filter(status=ContentStatus.PUBLISHED)
    counts = public.aggregate(posts=Count("pk"), likes=Sum("like_count"))
    last = public.order_by("-number").only("pk", "created_at", "number").first()
    thread.status = first_status or ContentStatus.REMOVED
    thread.reply_count = max(
        0, counts["posts"] - (1 if first_status == ContentStatus.PUBLISHED else 0)
    )
    thread.like_count = counts["likes"] or 0
    thread.last_post = last
    thread.last_post_at = last.created_at if last else thread.created_at
    thread.save(
        update_fields=[
            "status",
            "reply_count",
            "like_count",
            "last_post",
            "last_post_at",
            "updated_at",
        ]
    )
    category_recount(category_id=thread.category_id)
    forum_pages_changed(thread_ids=[thread_id])


def category_recount(*, category_id: int) -> None:
    category = ForumCategory.objects.select_for_update().filter(pk=category_id).first()
    if category is None:
        return
    threads = Thread.objects.filter(category_id=category_id, status=ContentStatus.PUBLISHED)
    summary = threads.aggregate(count=Count("pk"), last=Max("last_post_at"))
    category.thread_count = summary["count"]
    category.last_post_at = summary["last"]
    category.post_count = Post.objects.filter(
        thread__category_id=category_id,
        thread__status=ContentStatus.PUBLISHED,
        status=ContentStatus.PUBLISHED,
    ).count()
    category.save(update_fields=["thread_count", "post_count", "last_post_at", "updated_at"])


# ------------------------------------------------------------------ events
def post_published_event(post: Post):
    """ThreadCreated for an opening post, PostCreated for a reply: sent
    once, when the post first becomes public."""
    thread = post.thread
    mentioned = handles_resolve(handles=mentioned_handles(post.body_md))
    quoted = handles_resolve(handles=quoted_handles(post.body_md))
    mentioned_ids = sorted({pk for pk in mentioned.values() if pk != post.author_id})
    if post.number == 1:
        return ThreadCreated(
            thread_id=thread.pk,
            post_id=post.pk,
            author_id=post.author_id,
            category_id=thread.category_id,
            product_id=thread.product_id,
            verified_buyer=post.verified_owner,
            mentioned_user_ids=mentioned_ids,
        )
    reply_to_user_id = (
        Post.objects.filter(pk=post.reply_to_id).values_list("author_id", flat=True).first()
        if post.reply_to_id
        else None
    )
    return PostCreated(
        post_id=post.pk,
        thread_id=thread.pk,
        author_id=post.author_id,
        category_id=thread.category_id,
        thread_author_id=thread.author_id,
        product_id=thread.product_id,
        verified_buyer=post.verified_owner,
        reply_to_user_id=reply_to_user_id,
        mentioned_user_ids=mentioned_ids,
        quoted_user_ids=sorted({pk for pk in quoted.values() if pk != post.author_id}),
    )


# ------------------------------------------------------------- creating
def _product_for(category: ForumCategory, product) -> int | None:
    if product is not None:
        return product.pk if hasattr(product, "pk") else int(product)
    return category.product_id


@transaction.atomic
def thread_create(
    *,
    author,
    category: ForumCategory,
    title: str,
    body: str,
    tags=(),
    product=None,
) -> Thread:
    """Start a thread: its opening post is post 1. The thread is about the
    category's product unless another is given. The author watches it."""
    title = _title_clean(title)
    body = _body_clean(body)
    tag_names = tags_clean(tags)
    product_id = _product_for(category, product)
    verified = shop_selectors.user_purchased(user_id=author.pk, product_id=product_id)
    decision = member_posting_check(user=author, text=f"{title}\n{body}", verified_buyer=verified)
    status = ContentStatus.PENDING if decision.needs_approval else ContentStatus.PUBLISHED
    now = timezone.now()
    thread = Thread.objects.create(
        category=category,
        title=title,
        slug=_slug(title),
        author=author,
        product_id=product_id,
        status=status,
        last_number=1,
        last_post_at=now,
    )
    post = Post.objects.create(
        thread=thread,
        number=1,
        author=author,
        body_md=body,
        body_html=forum_body_render(body),
        status=status,
        verified_owner=verified,
    )
    if tag_names:
        thread.tags.set(tag_names)
    watch_set(user=author, thread=thread, on=True)
    content_created(content=post, pending=decision.needs_approval)
    thread.refresh_from_db()
    return thread


def _refuse_replies(thread: Thread) -> None:
    if not thread.is_public:
        raise ApplicationError(
            _("This thread is not available."), code="not_visible", status_code=404
        )
    if thread.locked:
        raise ApplicationError(
            _("This thread is locked by the moderators: it takes no new replies."),
            code="locked",
            status_code=403,
        )
    if thread.closed:
        raise ApplicationError(
            _("This thread is closed: it takes no new replies."), code="closed", status_code=403
        )


@transaction.atomic
def post_reply(*, author, thread: Thread, body: str, reply_to: Post | None = None) -> Post:
    """Reply to a thread (optionally to one of its posts). The author then
    watches the thread."""
    body = _body_clean(body)
    thread = Thread.objects.select_for_update().get(pk=thread.pk)
    _refuse_replies(thread)
    if reply_to is not None and (reply_to.thread_id != thread.pk or not reply_to.is_public):
        raise ApplicationError(
            _("The post you reply to is not in this thread any more."), code="reply_to"
        )
    verified = shop_selectors.user_purchased(user_id=author.pk, product_id=thread.product_id)
    decision = member_posting_check(user=author, text=body, verified_buyer=verified)
    number = thread.last_number + 1
    Thread.objects.filter(pk=thread.pk).update(last_number=number)
    post = Post.objects.create(
        thread=thread,
        number=number,
        reply_to=reply_to,
        author=author,
        body_md=body,
        body_html=forum_body_render(body),
        status=ContentStatus.PENDING if decision.needs_approval else ContentStatus.PUBLISHED,
        verified_owner=verified,
    )
    post.thread = thread
    watch_set(user=author, thread=thread, on=True)
    content_created(content=post, pending=decision.needs_approval)
    return post


# ---------------------------------------------------------- edit, delete
@transaction.atomic
def post_edit(*, post: Post, editor, body: str, title: str | None = None) -> Post:
    """The author edits within the edit window (a moderator at any time);
    the previous text is kept. An opening post's edit may retitle the thread."""
    body = _body_clean(body)
    if title is not None and post.number == 1:
        title = _title_clean(title)
    thread = Thread.objects.select_for_update().get(pk=post.thread_id)
    if thread.locked and not is_moderator(editor):
        raise ApplicationError(
            _("This thread is locked by the moderators: its posts cannot be edited."),
            code="locked",
            status_code=403,
        )
    post = content_edit(content=post, editor=editor, changes={"body_md": body})
    Post.objects.filter(pk=post.pk).update(body_html=forum_body_render(post.body_md))
    if title is not None and post.number == 1 and title != thread.title:
        Thread.objects.filter(pk=thread.pk).update(
            title=title, slug=_slug(title), updated_at=timezone.now()
        )
    forum_pages_changed(thread_ids=[thread.pk])
    post.refresh_from_db()
    return post


@transaction.atomic
def post_delete(*, post: Post, actor, reason: str = "") -> Post:
    """Delete a post (kept for the audit). Deleting a thread's opening post
    deletes the thread; a member cannot once others have replied."""
    post = Post.objects.select_related("thread").get(pk=post.pk)
    if (
        post.number == 1
        and not is_moderator(actor)
        and Post.objects.filter(thread_id=post.thread_id, number__gt=1)
        .exclude(status=ContentStatus.REMOVED)
        .exists()
    ):
        raise ApplicationError(
            _(
                "Others have replied to this thread, so its first post cannot be deleted. "
                "Edit it instead, or flag it for a moderator."
            ),
            code="has_replies",
            status_code=403,
        )
    return content_remove(content=post, actor=actor, reason=reason)


# -------------------------------------------------------------------- likes
@transaction.atomic
def post_like(*, post: Post, user) -> bool:
    """Like a post once. Returns False when the member already liked it."""
    member_can_vote_check(user=user)
    post = Post.objects.select_related("thread").get(pk=post.pk)
    if post.author_id == user.pk:
        raise ApplicationError(_("You cannot like your own post."), code="own_content")
    if not post.is_public or not post.thread.is_public:
        raise ApplicationError(
            _("This post is not visible any more."), code="not_visible", status_code=404
        )
    try:
        with transaction.atomic():
            PostLike.objects.create(post=post, user=user)
    except IntegrityError:
        return False
    Post.objects.filter(pk=post.pk).update(like_count=F("like_count") + 1)
    Thread.objects.filter(pk=post.thread_id).update(like_count=F("like_count") + 1)
    publish(
        PostLiked(
            post_id=post.pk, thread_id=post.thread_id, liker_id=user.pk, author_id=post.author_id
        )
    )
    forum_pages_changed(thread_ids=[post.thread_id], category=False)
    return True


@transaction.atomic
def post_unlike(*, post: Post, user) -> bool:
    """Take a like back. Returns False when there was none."""
    deleted, _rows = PostLike.objects.filter(post_id=post.pk, user_id=user.pk).delete()
    if not deleted:
        return False
    Post.objects.filter(pk=post.pk, like_count__gt=0).update(like_count=F("like_count") - 1)
    Thread.objects.filter(pk=post.thread_id, like_count__gt=0).update(
        like_count=F("like_count") - 1
    )
    forum_pages_changed(thread_ids=[post.thread_id], category=False)
    return True


def post_like_toggle(*, post: Post, user) -> bool:
    """Like, or take the like back. Returns whether the member now likes it."""
    if PostLike.objects.filter(post_id=post.pk, user_id=user.pk).exists():
        post_unlike(post=post, user=user)
        return False
    post_like(post=post, user=user)
    return True


# ------------------------------------------------------ reading, watching
def thread_read_mark(
    *, thread: Thread, user, number: int, known: ThreadRead | bool | None = False
) -> None:
    """Remember that the member read the thread up to post `number` (never
    backwards). `known`: the member's ThreadRead row if the caller already
    read it (None: there is none), so a view costs one write."""
    if user is None or not user.is_authenticated or number < 1:
        return
    if known is False:
        known = ThreadRead.objects.filter(thread=thread, user=user).first()
    if known is not None:
        if known.last_read_post_number < number:
            ThreadRead.objects.filter(pk=known.pk, last_read_post_number__lt=number).update(
                last_read_post_number=number, updated_at=timezone.now()
            )
        return
    try:
        with transaction.atomic():
            ThreadRead.objects.create(thread=thread, user=user, last_read_post_number=number)
    except IntegrityError:  # a parallel view created it
        ThreadRead.objects.filter(
            thread=thread, user=user, last_read_post_number__lt=number
        ).update(last_read_post_number=number, updated_at=timezone.now())


def watch_set(*, user, on: bool, thread: Thread | None = None, category=None) -> bool:
    """Watch (or stop watching) a thread or a category."""
    if (thread is None) == (category is None):
        raise ValueError("Watch a thread or a category")
    target = {"thread": thread} if thread is not None else {"category": category}
    if not on:
        Watch.objects.filter(user=user, **target).delete()
        return False
    try:
        with transaction.atomic():
            Watch.objects.get_or_create(user=user, **target)
    except IntegrityError:
        pass
    return True


def watch_toggle(*, user, thread: Thread | None = None, category=None) -> bool:
    """Returns whether the member now watches it."""
    if user is None or not user.is_authenticated:
        raise ApplicationError(_("Sign in to watch."), code="not_authenticated")
    target = {"thread": thread} if thread is not None else {"category": category}
    watching = Watch.objects.filter(user=user, **target).exists()
    return watch_set(user=user, on=not watching, thread=thread, category=category)


# --------------------------------------------------------- moderators
def _thread_log(*, moderator, action: str, thread: Thread, reason: str = "", **data) -> None:
    ModerationAction.objects.create(
        moderator=moderator,
        action=action,
        content_type=ContentType.objects.get_for_model(Thread),
        object_id=thread.pk,
        kind="thread",
        member_id=thread.author_id,
        excerpt=thread.title[:200],
        reason=reason or "",
        data=data,
    )


def _require_moderator(user) -> None:
    if not is_moderator(user):
        raise ApplicationError(_("Only moderators can do this."), code="forbidden", status_code=403)


@transaction.atomic
def _thread_flag_set(*, thread: Thread, moderator, field: str, value: bool, actions, reason):
    _require_moderator(moderator)
    thread = Thread.objects.select_for_update().get(pk=thread.pk)
    if getattr(thread, field) == value:
        return thread
    setattr(thread, field, value)
    thread.save(update_fields=[field, "updated_at"])
    _thread_log(
        moderator=moderator,
        action=actions[0] if value else actions[1],
        thread=thread,
        reason=reason,
    )
    forum_pages_changed(thread_ids=[thread.pk])
    return thread


def thread_pin(*, thread: Thread, moderator, pinned: bool = True, reason: str = "") -> Thread:
    return _thread_flag_set(
        thread=thread,
        moderator=moderator,
        field="pinned",
        value=pinned,
        actions=(Action.PIN, Action.UNPIN),
        reason=reason,
    )


def thread_lock(*, thread: Thread, moderator, locked: bool = True, reason: str = "") -> Thread:
    return _thread_flag_set(
        thread=thread,
        moderator=moderator,
        field="locked",
        value=locked,
        actions=(Action.LOCK, Action.UNLOCK),
        reason=reason,
    )


def thread_close(*, thread: Thread, moderator, closed: bool = True, reason: str = "") -> Thread:
    return _thread_flag_set(
        thread=thread,
        moderator=moderator,
        field="closed",
        value=closed,
        actions=(Action.CLOSE, Action.REOPEN),
        reason=reason,
    )


@transaction.atomic
def thread_move(*, thread: Thread, moderator, category: ForumCategory, reason: str = "") -> Thread:
    """Move a thread to another category; both categories are recounted."""
    _require_moderator(moderator)
    thread = Thread.objects.select_for_update().get(pk=thread.pk)
    old = thread.category_id
    if old == category.pk:
        return thread
    # Both categories locked in id order, so two moves never deadlock.
    list(ForumCategory.objects.select_for_update().filter(pk__in=[old, category.pk]).order_by("pk"))
    thread.category = category
    thread.save(update_fields=["category", "updated_at"])
    category_recount(category_id=old)
    category_recount(category_id=category.pk)
    _thread_log(
        moderator=moderator,
        action=Action.MOVE,
        thread=thread,
        reason=reason,
        from_category=old,
        to_category=category.pk,
    )
    forum_pages_changed(thread_ids=[thread.pk])
    return thread
