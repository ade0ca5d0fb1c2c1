"""The forums' pages: categories, a category's threads, a thread's posts,
starting a thread, replying, editing, deleting, likes, watches, the
moderators' thread tools and search.

The thread page is what members read most. What every reader of a page sees
alike (the posts with their author lines) is rendered once per page, thread
generation and language and kept in the cache; each post's action bar (the
member's own like, edit and delete buttons) is a hole filled per request
from one query for the member's likes. Visitors get the whole page from
core.pagecache."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.paginator import EmptyPage, Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from community.models import CommunitySettings, ContentStatus, ForumCategory, Post, Thread
from community.permissions import is_moderator
from community.selectors import forums as selectors
from community.selectors.members import authors_for
from community.services import forums as services
from community.services.members import member_profile
from community.views.moderation import safe_next
from core import pagecache
from core.exceptions import ApplicationError

POSTS_CACHE_SECONDS = 60 * 60


def _page_number(request: HttpRequest) -> int:
    raw = request.GET.get("page", "1")
    return int(raw) if raw.isdigit() and int(raw) >= 1 else 1


# ------------------------------------------------------------------- index
def forum_index(request: HttpRequest) -> HttpResponse:
    page = pagecache.PageCache(request, namespace=services.FORUMS_NAMESPACE)
    if (hit := page.get()) is None:
        categories = list(selectors.categories_list())
        response = render(
            request,
            "community/forums/index.html",
            {"categories": categories, **page.context()},
        )
        hit = page.store(response)
    return hit[0]


def forum_category(request: HttpRequest, slug: str) -> HttpResponse:
    category = get_object_or_404(ForumCategory, slug=slug)
    tag = request.GET.get("tag", "")[:50]
    member = request.user.is_authenticated
    page_cache = pagecache.PageCache(
        request, namespace=services.FORUMS_NAMESPACE, params=("page", "tag"), allow=not member
    )
    if (hit := page_cache.get()) is not None:
        return hit[0]
    threads = selectors.category_threads(category=category, tag=tag, user=request.user)
    paginator = Paginator(threads, selectors.THREADS_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    rows = list(page.object_list)
    tags = selectors.thread_tags(t.pk for t in rows)
    unread = selectors.unread_for(user=request.user, threads=rows)
    context = {
        "category": category,
        "categories": selectors.categories_list(),
        "page": page,
        "threads": [
            {"thread": t, "tags": tags.get(t.pk, []), "unread": unread.get(t.pk)} for t in rows
        ],
        "tag": tag,
        "watching": selectors.category_watching(user=request.user, category=category),
        **page_cache.context(),
    }
    response = render(request, "community/forums/category.html", context)
    return page_cache.store(response)[0]


@require_POST
@login_required
def forum_category_watch(request: HttpRequest, slug: str) -> HttpResponse:
    category = get_object_or_404(ForumCategory, slug=slug)
    watching = services.watch_toggle(user=request.user, category=category)
    messages.success(
        request,
        _("You are watching this category.") if watching else _("You stopped watching it."),
    )
    return redirect(safe_next(request, category.get_absolute_url()))


# ------------------------------------------------------------------ thread
def _posts_cache_key(thread: Thread, number: int) -> str:
    generation = pagecache.generation(thread.page_namespace)
    return f"forums:posts:1:{thread.pk}:{generation}:{number}:{get_language()}"


def _render_posts(request, thread: Thread, posts_qs, number: int) -> dict:
    """The page's posts as HTML with one hole per post for its action bar,
    and what the action bars need ("meta")."""
    paginator = Paginator(posts_qs.select_related("author", "reply_to"), selectors.POSTS_PER_PAGE)
    try:
        page = paginator.page(number)
    except EmptyPage:
        page = paginator.page(paginator.num_pages or 1) if paginator.count else None
    posts = list(page.object_list) if page else []
    authors = authors_for(
        users=[p.author for p in posts],
        product_ids=[thread.product_id] if thread.product_id else [],
    )
    items = [
        {
            "post": p,
            "author": authors.get(p.author_id),
            "actions": pagecache.hole(f"post{p.number}"),
        }
        for p in posts
    ]
    html = render_to_string(
        "community/forums/_posts.html",
        {"items": items, "thread": thread},
        request=None,
    )
    meta = [
        {
            "id": p.pk,
            "number": p.number,
            "author_id": p.author_id,
            "created_at": p.created_at,
            "like_count": p.like_count,
            "status": p.status,
            "handle": (authors.get(p.author_id).handle if authors.get(p.author_id) else ""),
        }
        for p in posts
    ]
    return {
        "html": html,
        "meta": meta,
        "number": page.number if page else 1,
        "num_pages": paginator.num_pages if page else 1,
        "count": paginator.count,
    }


class _Page:
    """Enough of a Paginator page for the pagination include."""

    def __init__(self, number: int, num_pages: int) -> None:
        self.number = number
        self.paginator = type("P", (), {"num_pages": num_pages})()

    def has_other_pages(self) -> bool:
        return self.paginator.num_pages > 1

    def has_previous(self) -> bool:
        return self.number > 1

    def has_next(self) -> bool:
        return self.number < self.paginator.num_pages

    def previous_page_number(self) -> int:
        return self.number - 1

    def next_page_number(self) -> int:
        return self.number + 1


def _actions_html(request, thread: Thread, meta: dict, state, window, moderator: bool) -> str:
    user = request.user
    own = user.is_authenticated and meta["author_id"] == user.pk
    in_window = window is None or timezone.now() - meta["created_at"] <= window
    can_edit = moderator or (
        own and in_window and not thread.locked and meta["status"] != ContentStatus.REMOVED
    )
    return render_to_string(
        "community/forums/_post_actions.html",
        {
            "meta": meta,
            "thread": thread,
            "liked": meta["id"] in state.liked,
            "own": own,
            "can_edit": can_edit,
            "can_reply": thread.accepts_replies,
            "moderator": moderator,
        },
        request=request,
    )


def _thread_polls(request: HttpRequest, thread, *, first_page: bool) -> dict:
    """The thread's public polls with the member's state (two queries for
    any number of polls), on its first page."""
    from community.selectors import polls as poll_selectors

    user = request.user
    polls = []
    if first_page:
        polls = list(
            poll_selectors.poll_queryset().filter(thread=thread, status=ContentStatus.PUBLISHED)
        )
    states = poll_selectors.poll_states(polls=polls, user=user) if polls else {}
    can_add = (
        user.is_authenticated
        and thread.is_public
        and thread.accepts_replies
        and (thread.author_id == user.pk or is_moderator(user))
    )
    return {
        "thread_polls": [{"poll": poll, "state": states[poll.pk]} for poll in polls],
        "can_add_poll": can_add,
    }


def forum_thread(request: HttpRequest, pk: int, slug: str = "") -> HttpResponse:
    # Visitors: the stored page first, before any query. Only a 200 is
    # stored, so a stored URL has the thread's right slug; hiding or moving
    # the thread bumps its namespace.
    page_cache = pagecache.PageCache(
        request,
        namespace=Thread(pk=pk).page_namespace,
        params=("page",),
        allow=not request.user.is_authenticated,
    )
    if (hit := page_cache.get()) is not None:
        return hit[0]
    thread = selectors.thread_for_view(thread_id=pk)
    if thread is None or not selectors.thread_viewable(thread, request.user):
        raise Http404(_("No such thread."))
    if slug != thread.slug:
        url = thread.get_absolute_url()
        if request.GET:
            url += "?" + request.GET.urlencode()
        return redirect(url, permanent=True)
    user = request.user
    moderator = is_moderator(user)
    wanted = request.GET.get("n", "")
    if wanted.isdigit():  # a post by its number: its page, at its anchor
        page_number = selectors.page_of_number(thread=thread, number=int(wanted), user=user)
        query = f"?page={page_number}" if page_number > 1 else ""
        return redirect(f"{thread.get_absolute_url()}{query}#post-{int(wanted)}")
    number = _page_number(request)

    # Everyone's view of the page is shared; a moderator, or an author whose
    # own unpublished post is in the thread, gets a fresh one.
    shared = not moderator and not (
        user.is_authenticated
        and Post.objects.filter(thread=thread, author=user)
        .exclude(status=ContentStatus.PUBLISHED)
        .exists()
    )
    posts_qs = selectors.posts_visible(thread=thread, user=user)
    if shared:
        key = _posts_cache_key(thread, number)
        rendered = cache.get(key)
        if rendered is None:
            rendered = _render_posts(request, thread, posts_qs, number)
            cache.set(key, rendered, POSTS_CACHE_SECONDS)
    else:
        rendered = _render_posts(request, thread, posts_qs, number)

    meta = rendered["meta"]
    state = selectors.member_state(user=user, thread=thread, post_ids=[m["id"] for m in meta])
    last_on_page = meta[-1]["number"] if meta else 0
    first_unread = None
    if state.read is not None and thread.last_number > state.read.last_read_post_number:
        first_unread = state.read.last_read_post_number + 1
    if user.is_authenticated:
        services.thread_read_mark(thread=thread, user=user, number=last_on_page, known=state.read)

    quote = _reply_prefill(request, thread)
    context = {
        **_thread_polls(request, thread, first_page=rendered["number"] == 1),
        "thread": thread,
        "category": thread.category,
        "tags": list(thread.tags.all()),
        "posts_html": rendered["html"],
        "page": _Page(rendered["number"], rendered["num_pages"]),
        "post_count": rendered["count"],
        "watching": state.watching,
        "first_unread": first_unread,
        "moderator": moderator,
        "reply_body": quote["body"],
        "reply_to": quote["reply_to"],
        "categories": selectors.categories_list() if moderator else [],
        **page_cache.context(),
    }
    response = render(request, "community/forums/thread.html", context)
    window = CommunitySettings.current().edit_window if user.is_authenticated else None
    holes = {
        pagecache.hole(f"post{m['number']}"): _actions_html(
            request, thread, m, state, window, moderator
        )
        for m in meta
    }
    # Every visitor's action bars are alike (like counts, no forms): they
    # are stored with the page.
    response = page_cache.fill(response, holes)
    if page_cache.enabled:
        response, _meta = page_cache.store(response)
    return response


def _reply_prefill(request: HttpRequest, thread: Thread) -> dict:
    """?quote=<n>: the reply form starts with post n quoted; ?reply_to=<n>:
    the reply answers post n."""
    for name in ("quote", "reply_to"):
        raw = request.GET.get(name, "")
        if raw.isdigit() and request.user.is_authenticated:
            post = (
                Post.objects.filter(thread=thread, number=int(raw), status=ContentStatus.PUBLISHED)
                .select_related("author")
                .first()
            )
            if post is None:
                break
            body = ""
            if name == "quote":
                handle = member_profile(user=post.author).handle
                body = services.quote_text(body_md=post.body_md, handle=handle)
            return {"body": body, "reply_to": post}
    return {"body": "", "reply_to": None}


def forum_thread_short(request: HttpRequest, pk: int) -> HttpResponse:
    thread = get_object_or_404(Thread, pk=pk)
    return redirect(thread.get_absolute_url(), permanent=True)


@require_POST
@login_required
def forum_reply(request: HttpRequest, pk: int) -> HttpResponse:
    thread = selectors.thread_for_view(thread_id=pk)
    if thread is None or not selectors.thread_viewable(thread, request.user):
        raise Http404(_("No such thread."))
    reply_to = None
    raw = request.POST.get("reply_to", "")
    if raw.isdigit():
        reply_to = Post.objects.filter(pk=int(raw), thread=thread).first()
    try:
        post = services.post_reply(
            author=request.user, thread=thread, body=request.POST.get("body", ""), reply_to=reply_to
        )
    except ApplicationError as error:
        messages.error(request, error.message)
        return render(
            request,
            "community/forums/reply_error.html",
            {"thread": thread, "body": request.POST.get("body", ""), "error": error.message},
            status=error.status_code,
        )
    if post.status == ContentStatus.PENDING:
        messages.info(request, _("Thank you. Your reply appears once a moderator approves it."))
    return redirect(selectors.post_url(post))


@require_POST
@login_required
def forum_thread_watch(request: HttpRequest, pk: int) -> HttpResponse:
    thread = get_object_or_404(Thread, pk=pk)
    if not selectors.thread_viewable(thread, request.user):
        raise Http404(_("No such thread."))
    watching = services.watch_toggle(user=request.user, thread=thread)
    messages.success(
        request,
        _("You are watching this thread.") if watching else _("You stopped watching it."),
    )
    return redirect(safe_next(request, thread.get_absolute_url()))


MODERATION = {
    "pin": (services.thread_pin, {"pinned": True}, gettext_lazy("Pinned.")),
    "unpin": (services.thread_pin, {"pinned": False}, gettext_lazy("Unpinned.")),
    "lock": (services.thread_lock, {"locked": True}, gettext_lazy("Locked.")),
    "unlock": (services.thread_lock, {"locked": False}, gettext_lazy("Unlocked.")),
    "close": (services.thread_close, {"closed": True}, gettext_lazy("Closed.")),
    "reopen": (services.thread_close, {"closed": False}, gettext_lazy("Reopened.")),
}


@require_POST
@login_required
def forum_thread_moderate(request: HttpRequest, pk: int) -> HttpResponse:
    thread = get_object_or_404(Thread, pk=pk)
    action = request.POST.get("action", "")
    reason = request.POST.get("reason", "")[:500]
    try:
        if action == "move":
            category = get_object_or_404(ForumCategory, pk=request.POST.get("category") or 0)
            services.thread_move(
                thread=thread, moderator=request.user, category=category, reason=reason
            )
            messages.success(request, _("Moved to %(name)s.") % {"name": category.name})
        elif action in MODERATION:
            fn, kwargs, done = MODERATION[action]
            fn(thread=thread, moderator=request.user, reason=reason, **kwargs)
            messages.success(request, str(done))
        else:
            messages.error(request, _("Choose what to do."))
    except ApplicationError as error:
        messages.error(request, error.message)
    return redirect(thread.get_absolute_url())


# -------------------------------------------------------------- new thread
@login_required
def forum_thread_new(request: HttpRequest) -> HttpResponse:
    categories = list(selectors.categories_list())
    values = {
        "category": request.POST.get("category") or request.GET.get("category", ""),
        "title": request.POST.get("title", ""),
        "body": request.POST.get("body", ""),
        "tags": request.POST.get("tags", ""),
        "product": request.POST.get("product") or request.GET.get("product", ""),
    }
    error = ""
    product = None
    if values["product"].isdigit():
        from shop.models import Product

        product = Product.objects.filter(pk=int(values["product"]), is_published=True).first()
    if request.method == "POST":
        category = next((c for c in categories if c.slug == values["category"]), None)
        if category is None:
            error = _("Choose a category.")
        else:
            try:
                thread = services.thread_create(
                    author=request.user,
                    category=category,
                    title=values["title"],
                    body=values["body"],
                    tags=values["tags"],
                    product=product,
                )
            except ApplicationError as exc:
                error = exc.message
            else:
                if thread.status == ContentStatus.PENDING:
                    messages.info(
                        request, _("Thank you. Your thread appears once a moderator approves it.")
                    )
                return redirect(thread.get_absolute_url())
    return render(
        request,
        "community/forums/thread_new.html",
        {"categories": categories, "values": values, "error": error, "product": product},
        status=400 if error else 200,
    )


# ------------------------------------------------------------------ posts
def _own_post(request: HttpRequest, pk: int) -> Post:
    post = Post.objects.select_related("thread").filter(pk=pk).first()
    if post is None or not post.viewable_by(request.user):
        raise Http404(_("No such post."))
    return post


@login_required
def forum_post_edit(request: HttpRequest, pk: int) -> HttpResponse:
    post = _own_post(request, pk)
    body = request.POST.get("body", post.body_md)
    title = request.POST.get("title", post.thread.title)
    error = ""
    if request.method == "POST":
        try:
            services.post_edit(
                post=post,
                editor=request.user,
                body=body,
                title=title if post.number == 1 else None,
            )
        except ApplicationError as exc:
            error = exc.message
        else:
            messages.success(request, _("Saved."))
            return redirect(selectors.post_url(post))
    return render(
        request,
        "community/forums/post_edit.html",
        {"post": post, "thread": post.thread, "body": body, "title": title, "error": error},
        status=400 if error else 200,
    )


@require_POST
@login_required
def forum_post_delete(request: HttpRequest, pk: int) -> HttpResponse:
    post = _own_post(request, pk)
    thread = post.thread
    try:
        services.post_delete(post=post, actor=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect(selectors.post_url(post))
    messages.success(request, _("Deleted."))
    if post.number == 1:
        return redirect(thread.category.get_absolute_url())
    return redirect(thread.get_absolute_url())


@require_POST
@login_required
def forum_post_like(request: HttpRequest, pk: int) -> HttpResponse:
    post = _own_post(request, pk)
    error = ""
    try:
        liked = services.post_like_toggle(post=post, user=request.user)
    except ApplicationError as exc:
        error = exc.message
        liked = False
    if not request.htmx:
        if error:
            messages.error(request, error)
        return redirect(safe_next(request, selectors.post_url(post)))
    post.refresh_from_db(fields=["like_count"])
    return render(
        request,
        "community/forums/_like.html",
        {"post_id": post.pk, "like_count": post.like_count, "liked": liked, "error": error},
    )


# ------------------------------------------------------------------ search
def forum_search(request: HttpRequest) -> HttpResponse:
    query = " ".join(request.GET.get("q", "").split())[:100]
    results = selectors.forum_search(query=query) if query else []
    return render(request, "community/forums/search.html", {"query": query, "results": results})


def forum_new_url(category: ForumCategory | None = None) -> str:
    url = reverse("community:forum_thread_new")
    return f"{url}?category={category.slug}" if category else url


urlpatterns = [
    path("forums/", forum_index, name="forum_index"),
    path("forums/search/", forum_search, name="forum_search"),
    path("forums/new/", forum_thread_new, name="forum_thread_new"),
    path("forums/<slug:slug>/", forum_category, name="forum_category"),
    path("forums/<slug:slug>/watch/", forum_category_watch, name="forum_category_watch"),
    path("t/<int:pk>/", forum_thread_short, name="forum_thread_short"),
    path("t/<int:pk>/reply/", forum_reply, name="forum_reply"),
    path("t/<int:pk>/watch/", forum_thread_watch, name="forum_thread_watch"),
    path("t/<int:pk>/moderate/", forum_thread_moderate, name="forum_thread_moderate"),
    path("t/<int:pk>/<slug:slug>/", forum_thread, name="forum_thread"),
    path("posts/<int:pk>/like/", forum_post_like, name="forum_post_like"),
    path("posts/<int:pk>/edit/", forum_post_edit, name="forum_post_edit"),
    path("posts/<int:pk>/delete/", forum_post_delete, name="forum_post_delete"),
]
