from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone, translation

from community import forum_notifying as notifying
from community.forum_handlers import forum_post_recipients, notify_post_created
from community.models import (
    CommunitySettings,
    ContentStatus,
    ModerationAction,
    Post,
    PostLike,
    Revision,
    Thread,
    ThreadRead,
    Watch,
)
from community.selectors import forums as selectors
from community.services import forums as services
from community.services import moderation as moderation_services
from community.services.members import member_profile, member_restrict
from community.tests.factories import NewMemberFactory, make_moderator
from community.tests.forums_factories import (
    ForumCategoryFactory,
    member,
    paid_order_for,
    reply_make,
    thread_make,
)
from core.exceptions import ApplicationError
from core.models import OutboxEvent
from shop.tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def _events(event_type: str) -> list[dict]:
    return [e.payload for e in OutboxEvent.objects.filter(event_type=event_type)]


def _handle(user) -> str:
    return member_profile(user=user).handle


# ------------------------------------------------------------- creating
def test_a_thread_starts_with_post_one_and_its_author_watches_it():
    # given
    author = member()
    # when
    thread = thread_make(
        author=author, title="Gayo or Toraja?", body="Which one?", tags="Coffee, v60"
    )
    # then
    opening = Post.objects.get(thread=thread)
    assert opening.number == 1 and opening.status == ContentStatus.PUBLISHED
    assert thread.status == ContentStatus.PUBLISHED and thread.reply_count == 0
    assert sorted(t.name for t in thread.tags.all()) == ["coffee", "v60"]
    assert Watch.objects.filter(user=author, thread=thread).exists()
    thread.category.refresh_from_db()
    assert (thread.category.thread_count, thread.category.post_count) == (1, 1)
    [event] = _events("community.thread_created")
    assert event["thread_id"] == thread.pk and event["post_id"] == opening.pk


def test_replies_are_numbered_and_counted_and_the_replier_watches():
    thread = thread_make()
    replier = member()
    second = reply_make(thread, author=replier)
    third = reply_make(thread)
    thread.refresh_from_db()
    assert (second.number, third.number) == (2, 3)
    assert thread.reply_count == 2 and thread.last_post_id == third.pk
    assert Watch.objects.filter(user=replier, thread=thread).exists()
    thread.category.refresh_from_db()
    assert thread.category.post_count == 3


def test_a_thread_inherits_its_categorys_product_and_buyers_are_verified_owners():
    product = ProductFactory()
    category = ForumCategoryFactory(product=product)
    buyer, other = member(), member()
    paid_order_for(buyer, product)
    thread = thread_make(author=other, category=category)
    post = reply_make(thread, author=buyer)
    assert thread.product_id == product.pk
    assert post.verified_owner
    assert not Post.objects.get(thread=thread, number=1).verified_owner
    [event] = _events("community.post_created")
    assert event["verified_buyer"] is True and event["product_id"] == product.pk


def test_a_new_members_thread_waits_and_is_invisible_until_approved():
    rules = CommunitySettings.current()
    rules.new_require_approval = True
    rules.save()
    thread = thread_make(author=NewMemberFactory())
    assert thread.status == ContentStatus.PENDING
    assert not selectors.threads_visible().filter(pk=thread.pk).exists()
    assert not _events("community.thread_created")
    # when a moderator approves the opening post
    moderation_services.content_approve(
        content=Post.objects.get(thread=thread), moderator=make_moderator()
    )
    thread.refresh_from_db()
    assert thread.status == ContentStatus.PUBLISHED
    assert len(_events("community.thread_created")) == 1


# ------------------------------------------------------- mentions, quotes
def test_mentions_resolve_only_real_handles_and_link_them(monkeypatch):
    monkeypatch.setattr(services, "_profile_url", lambda handle: f"/community/u/{handle}/")
    alice = member(display_name="Alice Wong")
    thread = thread_make()
    post = reply_make(thread, body=f"Thanks @{_handle(alice)} and @nobody_here!")
    [event] = _events("community.post_created")
    assert event["mentioned_user_ids"] == [alice.pk]
    assert f'<a class="mention" href="/community/u/{_handle(alice)}/">@' in post.body_html
    assert "@nobody_here" in post.body_html and "nobody_here/" not in post.body_html


def test_quoting_names_the_quoted_member_not_as_a_mention():
    quoted = member()
    thread = thread_make(author=quoted, body="Roast the chillies first.")
    text = services.quote_text(body_md="Roast the chillies first.", handle=_handle(quoted))
    assert text.startswith(f"@{_handle(quoted)} wrote:\n> Roast")
    reply_make(thread, body=text + "Agreed!")
    [event] = _events("community.post_created")
    assert event["quoted_user_ids"] == [quoted.pk]
    assert event["mentioned_user_ids"] == []


def test_a_handle_with_html_cannot_inject_markup():
    html = services.forum_body_render("@<script>alert(1)</script> and @<b>x</b>")
    assert "<script>" not in html
    linked = services.mentions_link(
        '<p>hi @bob <code>@bob</code> <img alt="@bob>x" src="http://e.test/i.png"></p>',
        {"bob": 1},
    )
    assert "<code>@bob</code>" in linked
    assert 'alt="@bob>x"' in linked  # attribute text untouched


# -------------------------------------------------------------- refusals
@pytest.mark.parametrize(
    ("title", "body", "message"),
    [
        ("Fine title", "   ", "Text cannot be empty."),
        ("Hey", "Body", "Title needs at least 5 characters."),
        ("Fine title", "x" * 20001, "Text can be at most 20000 characters"),
        ("x" * 151, "Body", "Title can be at most 150 characters"),
    ],
)
def test_bad_input_is_refused_with_a_message_and_nothing_is_written(title, body, message):
    with pytest.raises(ApplicationError) as error:
        thread_make(title=title, body=body)
    assert message in error.value.message
    assert not Thread.objects.exists() and not Post.objects.exists()


def test_malformed_markdown_is_rendered_safely():
    thread = thread_make(body="**unclosed [link](javascript:alert(1)) <img src=x onerror=alert(1)>")
    html = Post.objects.get(thread=thread).body_html
    assert 'href="javascript:' not in html
    assert "<img" not in html  # shown as the text it is: &lt;img ... onerror=...&gt;
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_replying_to_a_locked_or_closed_thread_is_refused():
    thread = thread_make()
    moderator = make_moderator()
    services.thread_lock(thread=thread, moderator=moderator)
    with pytest.raises(ApplicationError) as error:
        reply_make(thread)
    assert "locked" in error.value.message
    services.thread_lock(thread=thread, moderator=moderator, locked=False)
    services.thread_close(thread=thread, moderator=moderator)
    with pytest.raises(ApplicationError) as error:
        reply_make(thread)
    assert "closed" in error.value.message
    assert Post.objects.filter(thread=thread).count() == 1
    thread.refresh_from_db()
    assert thread.last_number == 1


def test_liking_your_own_post_or_a_hidden_one_is_refused():
    author, other = member(), member()
    thread = thread_make(author=author)
    opening = Post.objects.get(thread=thread)
    with pytest.raises(ApplicationError, match="your own post"):
        services.post_like(post=opening, user=author)
    moderation_services.content_hide(content=opening, moderator=make_moderator())
    with pytest.raises(ApplicationError, match="not visible"):
        services.post_like(post=opening, user=other)
    assert not PostLike.objects.exists()
    assert Post.objects.get(pk=opening.pk).like_count == 0


def test_a_banned_member_cannot_like():
    thread = thread_make()
    banned = member()
    member_restrict(
        moderator=make_moderator(),
        user=banned,
        action=ModerationAction.Action.BAN,
        until=timezone.now() + timedelta(days=1),
        reason="Spam",
    )
    with pytest.raises(ApplicationError, match="banned"):
        services.post_like(post=Post.objects.get(thread=thread), user=banned)
    assert not PostLike.objects.exists()


def test_like_and_unlike_toggle_the_count_and_announce_the_like():
    thread = thread_make()
    post = Post.objects.get(thread=thread)
    liker = member()
    assert services.post_like_toggle(post=post, user=liker) is True
    assert services.post_like(post=post, user=liker) is False  # once only
    post.refresh_from_db()
    assert post.like_count == 1
    assert len(_events("community.post_liked")) == 1
    assert services.post_like_toggle(post=post, user=liker) is False
    post.refresh_from_db()
    assert post.like_count == 0 and not PostLike.objects.exists()


def test_editing_another_members_post_is_refused_and_nothing_changes():
    thread = thread_make(body="Original")
    post = Post.objects.get(thread=thread)
    with pytest.raises(ApplicationError, match="your own"):
        services.post_edit(post=post, editor=member(), body="Changed")
    post.refresh_from_db()
    assert post.body_md == "Original" and not Revision.objects.exists()


def test_an_edit_keeps_history_and_marks_the_post_edited():
    thread = thread_make(body="Original")
    post = Post.objects.get(thread=thread)
    edited = services.post_edit(
        post=post, editor=thread.author, body="Better", title="A better title"
    )
    assert edited.body_md == "Better" and edited.edited_at is not None
    assert Revision.objects.get().fields["body_md"] == "Original"
    thread.refresh_from_db()
    assert thread.title == "A better title" and thread.slug == "a-better-title"


def test_deleting_after_the_edit_window_is_refused():
    thread = thread_make()
    post = reply_make(thread)
    Post.objects.filter(pk=post.pk).update(created_at=timezone.now() - timedelta(days=30))
    post.refresh_from_db()
    with pytest.raises(ApplicationError, match="has passed"):
        services.post_delete(post=post, actor=post.author)
    post.refresh_from_db()
    assert post.status == ContentStatus.PUBLISHED


def test_the_opening_post_of_a_thread_with_replies_cannot_be_deleted_by_its_author():
    thread = thread_make()
    reply_make(thread)
    opening = Post.objects.get(thread=thread, number=1)
    with pytest.raises(ApplicationError, match="Others have replied"):
        services.post_delete(post=opening, actor=thread.author)
    opening.refresh_from_db()
    assert opening.status == ContentStatus.PUBLISHED
    # a moderator can, and the thread goes with it
    services.post_delete(post=opening, actor=make_moderator())
    thread.refresh_from_db()
    assert thread.status == ContentStatus.REMOVED
    thread.category.refresh_from_db()
    assert (thread.category.thread_count, thread.category.post_count) == (0, 0)


def test_hiding_the_opening_post_hides_the_thread_and_restoring_brings_it_back():
    thread = thread_make()
    opening = Post.objects.get(thread=thread, number=1)
    moderator = make_moderator()
    moderation_services.content_hide(content=opening, moderator=moderator)
    assert not selectors.threads_visible().filter(pk=thread.pk).exists()
    moderation_services.content_restore(content=opening, moderator=moderator)
    assert selectors.threads_visible().filter(pk=thread.pk).exists()


# ----------------------------------------------------------- moderators
def test_moving_a_thread_recounts_both_categories_and_is_logged():
    thread = thread_make()
    reply_make(thread)
    old, new = thread.category, ForumCategoryFactory()
    services.thread_move(thread=thread, moderator=make_moderator(), category=new)
    old.refresh_from_db()
    new.refresh_from_db()
    assert (old.thread_count, old.post_count) == (0, 0)
    assert (new.thread_count, new.post_count) == (1, 2)
    assert ModerationAction.objects.filter(action="move", object_id=thread.pk).exists()


def test_only_moderators_pin_and_each_pin_is_logged():
    thread = thread_make()
    with pytest.raises(ApplicationError):
        services.thread_pin(thread=thread, moderator=thread.author)
    services.thread_pin(thread=thread, moderator=make_moderator(), reason="News")
    thread.refresh_from_db()
    assert thread.pinned
    assert ModerationAction.objects.get(action="pin").reason == "News"


# ------------------------------------------------------ reading, notifying
def test_read_position_only_moves_forward():
    thread = thread_make()
    reader = member()
    services.thread_read_mark(thread=thread, user=reader, number=5)
    services.thread_read_mark(thread=thread, user=reader, number=3)
    assert ThreadRead.objects.get(user=reader, thread=thread).last_read_post_number == 5


def test_unread_markers_count_posts_after_the_last_one_read():
    thread = thread_make()
    reader = member()
    services.thread_read_mark(thread=thread, user=reader, number=1)
    reply_make(thread)
    reply_make(thread)
    markers = selectors.unread_for(user=reader, threads=[thread])
    assert markers[thread.pk].count == 2 and markers[thread.pk].first_unread == 2


def test_recipients_each_get_the_most_specific_reason_and_never_the_author():
    # given a thread, a category watcher, a thread watcher, a quoted and a mentioned member
    starter, watcher_c, watcher_t, quoted, mentioned, answered = (member() for _ in range(6))
    thread = thread_make(author=starter)
    services.watch_set(user=watcher_c, on=True, category=thread.category)
    services.watch_set(user=watcher_t, on=True, thread=thread)
    services.watch_set(user=mentioned, on=True, thread=thread)  # mention wins over watching
    earlier = reply_make(thread, author=answered)
    body = services.quote_text(body_md="x", handle=_handle(quoted)) + f"cc @{_handle(mentioned)}"
    author = member()
    post = reply_make(thread, author=author, body=body, reply_to=earlier)
    [event] = [e for e in _events("community.post_created") if e["post_id"] == post.pk]
    # when
    recipients = forum_post_recipients(
        post=post,
        mentioned_user_ids=event["mentioned_user_ids"],
        quoted_user_ids=event["quoted_user_ids"],
        reply_to_user_id=event["reply_to_user_id"],
    )
    # then
    assert recipients == {
        mentioned.pk: notifying.MENTIONED,
        quoted.pk: notifying.QUOTED,
        answered.pk: notifying.REPLIED,
        starter.pk: notifying.THREAD_REPLY,
        watcher_t.pk: notifying.WATCHING_THREAD,
        watcher_c.pk: notifying.WATCHING_CATEGORY,
    }
    assert author.pk not in recipients
    assert author.pk in selectors.watchers_for_post(post)  # the selector is raw


def test_the_subscriber_notifies_each_recipient_once(monkeypatch):
    calls = []
    monkeypatch.setattr(
        notifying, "forum_post_notify", lambda **kw: calls.append((kw["user_id"], kw["reason"]))
    )
    starter = member()
    thread = thread_make(author=starter)
    post = reply_make(thread)
    from community.events import PostCreated

    notify_post_created(
        PostCreated(
            post_id=post.pk,
            thread_id=thread.pk,
            author_id=post.author_id,
            category_id=thread.category_id,
            thread_author_id=starter.pk,
        )
    )
    assert calls == [(starter.pk, notifying.THREAD_REPLY)]


# ----------------------------------------------------------------- search
def test_search_finds_a_post_by_a_word_and_only_published_ones():
    thread = thread_make(title="Kopi tubruk", body="Pakai gula aren sedikit")
    hidden = reply_make(thread, body="Rahasia gula kelapa")
    moderation_services.content_hide(content=hidden, moderator=make_moderator())
    assert [p.thread_id for p in selectors.forum_search(query="aren")] == [thread.pk]
    assert [p.number for p in selectors.forum_search(query="tubruk")] == [1]
    assert selectors.forum_search(query="kelapa") == []


def test_postgresql_has_the_search_indexes(postgres_required):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE indexname IN "
            "('community_post_search', 'community_thread_search')"
        )
        assert sorted(row[0] for row in cursor.fetchall()) == [
            "community_post_search",
            "community_thread_search",
        ]


def test_a_quotes_attribution_is_stored_without_words():
    # given a reply quoting a member's post, as the Quote button writes it
    quoted = member()
    thread = thread_make(author=quoted, body="Roast the chillies first.")
    handle = _handle(quoted)
    text = services.quote_text(body_md="Roast the chillies first.", handle=handle)
    # when
    post = reply_make(thread, body=text + "Agreed!")
    # then the stored HTML names the quoted member, in no language
    assert "wrote" not in post.body_html
    assert post.body_html.startswith('<p class="forum-quote-by"><a class="mention" href=')
    assert f">@{handle}</a></p>\n<blockquote>" in post.body_html
    # and the words are the reader's
    with translation.override("en"):
        shown = services.quote_attributions_localise(post.body_html)
    assert f">@{handle}</a> wrote:</p>\n<blockquote>" in shown


def test_a_member_cannot_forge_an_attribution_with_raw_html():
    html = services.forum_body_render('<p class="forum-quote-by">@nobody</p> hello')
    assert 'class="forum-quote-by"' not in html
    assert "wrote" not in services.quote_attributions_localise(html)
