"""Forum reads: category and thread listings, a thread's page of posts,
members' own state on a page (likes, read positions, watches), who watches a
post, and search. Each returns what a page needs in a fixed number of
queries, whatever the number of threads or posts."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from community.models import (
    ContentStatus,
    ForumCategory,
    Post,
    PostLike,
    Thread,
    ThreadRead,
    Watch,
)
from community.permissions import is_moderator

POSTS_PER_PAGE = 20
THREADS_PER_PAGE = 25
NEW_FOR = timedelta(days=14)
SEARCH_CANDIDATES = 500
SEARCH_CONFIG = "simple"  # English and Bahasa Indonesia side by side: no stemming


def categories_list() -> QuerySet[ForumCategory]:
    return ForumCategory.objects.all()


def threads_visible(user=None) -> QuerySet[Thread]:
    threads = Thread.objects.all()
    if not is_moderator(user):
        threads = threads.filter(status=ContentStatus.PUBLISHED)
    return threads


def category_threads(*, category: ForumCategory, tag: str = "", user=None) -> QuerySet[Thread]:
    """Pinned first, then by last activity."""
    threads = (
        threads_visible(user)
        .filter(category=category)
        .select_related("category", "author", "last_post__author")
        .order_by("-pinned", "-last_post_at", "-pk")
    )
    if tag:
        threads = threads.filter(tags__slug=tag)
    return threads


def thread_tags(thread_ids: Iterable[int]) -> dict[int, list]:
    """{thread id: [Tag...]} in one query."""
    from community.models import TaggedThread

    tags: dict[int, list] = {}
    rows = TaggedThread.objects.filter(content_object_id__in=list(thread_ids)).select_related("tag")
    for row in rows.order_by("tag__name"):
        tags.setdefault(row.content_object_id, []).append(row.tag)
    return tags


@dataclass
class Unread:
    new: bool = False  # never opened, and recent
    count: int = 0  # posts after the last one read
    first_unread: int | None = None


def unread_for(*, user, threads: Iterable[Thread]) -> dict[int, Unread]:
    """The member's unread markers for these threads: two queries."""
    threads = list(threads)
    if user is None or not user.is_authenticated or not threads:
        return {}
    ids = [t.pk for t in threads]
    read = dict(
        ThreadRead.objects.filter(user=user, thread_id__in=ids).values_list(
            "thread_id", "last_read_post_number"
        )
    )
    counts = dict(
        Post.objects.filter(
            thread_id__in=list(read),
            status=ContentStatus.PUBLISHED,
            thread__reads__user=user,
            number__gt=F("thread__reads__last_read_post_number"),
        )
        .values("thread_id")
        .annotate(n=Count("pk"))
        .values_list("thread_id", "n")
    )
    recent = timezone.now() - NEW_FOR
    markers = {}
    for thread in threads:
        if thread.pk not in read:
            if thread.last_post_at and thread.last_post_at >= recent:
                markers[thread.pk] = Unread(new=True)
            continue
        if counts.get(thread.pk):
            markers[thread.pk] = Unread(count=counts[thread.pk], first_unread=read[thread.pk] + 1)
    return markers


def thread_for_view(*, thread_id: int) -> Thread | None:
    return (
        Thread.objects.select_related("category", "author", "product").filter(pk=thread_id).first()
    )


def thread_viewable(thread: Thread, user) -> bool:
    if thread.is_public:
        return True
    if user is None or not user.is_authenticated:
        return False
    return thread.author_id == user.pk or is_moderator(user)


def posts_visible(*, thread: Thread, user=None) -> QuerySet[Post]:
    posts = Post.objects.filter(thread=thread)
    if is_moderator(user):
        return posts
    if user is not None and user.is_authenticated:
        # The member's own pending or hidden posts stay visible to them.
        return posts.filter(
            Q(status=ContentStatus.PUBLISHED)
            | Q(author=user, status__in=[ContentStatus.PENDING, ContentStatus.HIDDEN])
        )
    return posts.filter(status=ContentStatus.PUBLISHED)


def page_of_number(*, thread: Thread, number: int, user=None) -> int:
    """The page of the thread that shows post `number`."""
    before = posts_visible(thread=thread, user=user).filter(number__lt=number).count()
    return before // POSTS_PER_PAGE + 1


def post_url(post: Post) -> str:
    thread = post.thread
    page = page_of_number(thread=thread, number=post.number)
    url = thread.get_absolute_url()
    if page > 1:
        url += f"?page={page}"
    return f"{url}#post-{post.number}"


@dataclass
class MemberState:
    """The member's own parts of a thread page."""

    liked: set[int] = field(default_factory=set)
    watching: bool = False
    read: ThreadRead | None = None


def member_state(*, user, thread: Thread, post_ids: Iterable[int]) -> MemberState:
    """Likes the member gave on this page, their watch and read position:
    three small queries, whatever the number of posts."""
    if user is None or not user.is_authenticated:
        return MemberState()
    return MemberState(
        liked=set(
            PostLike.objects.filter(user=user, post_id__in=list(post_ids)).values_list(
                "post_id", flat=True
            )
        ),
        watching=Watch.objects.filter(user=user, thread=thread).exists(),
        read=ThreadRead.objects.filter(user=user, thread=thread).first(),
    )


def category_watching(*, user, category: ForumCategory) -> bool:
    if user is None or not user.is_authenticated:
        return False
    return Watch.objects.filter(user=user, category=category).exists()


def watchers_for_post(post: Post) -> set[int]:
    """The members who watch the post's thread or its category (the post's
    author included: the notifier leaves them out). One query."""
    thread = post.thread
    return set(
        Watch.objects.filter(
            Q(thread_id=thread.pk) | Q(category_id=thread.category_id)
        ).values_list("user_id", flat=True)
    )


def watch_reasons_for_post(post: Post) -> dict[int, str]:
    """{user id: "thread" or "category"}, the more specific one winning."""
    thread = post.thread
    reasons: dict[int, str] = {}
    rows = Watch.objects.filter(
        Q(thread_id=thread.pk) | Q(category_id=thread.category_id)
    ).values_list("user_id", "thread_id")
    for user_id, thread_id in rows:
        if thread_id is not None or user_id not in reasons:
            reasons[user_id] = "thread" if thread_id is not None else "category"
    return reasons


# ------------------------------------------------------------------ search
def _search_base() -> QuerySet[Post]:
    return Post.objects.filter(
        status=ContentStatus.PUBLISHED, thread__status=ContentStatus.PUBLISHED
    ).select_related("thread", "thread__category", "author")


def forum_search(*, query: str, limit: int = 50) -> list[Post]:
    """Published posts whose text (or, for an opening post, whose thread's
    title) holds the words of `query`. PostgreSQL: full-text search over the
    GIN expression index (config "simple"); elsewhere: every word contained."""
    words = query.split()
    if not words:
        return []
    posts = _search_base()
    if connection.vendor == "postgresql":
        search = SearchQuery(query, config=SEARCH_CONFIG, search_type="plain")
        body = SearchVector("body_md", config=SEARCH_CONFIG)
        # Each match is one GIN index lookup (community_post_search,
        # community_thread_search); an OR across the join would scan.
        ids = list(
            Post.objects.annotate(found=body)
            .filter(found=search)
            .order_by()
            .values_list("pk", flat=True)[:SEARCH_CANDIDATES]
        )
        titles = Thread.objects.annotate(found=SearchVector("title", config=SEARCH_CONFIG)).filter(
            found=search
        )
        ids += list(
            Post.objects.filter(number=1, thread__in=titles.values("pk"))
            .order_by()
            .values_list("pk", flat=True)[:SEARCH_CANDIDATES]
        )
        posts = (
            posts.filter(pk__in=ids)
            .annotate(rank=SearchRank(body, search))
            .order_by("-rank", "-created_at")
        )
    else:
        for word in words[:8]:
            posts = posts.filter(
                Q(body_md__icontains=word) | Q(number=1, thread__title__icontains=word)
            )
        posts = posts.order_by("-created_at")
    return list(posts[:limit])
