"""Forum notifications: who hears of a new post, and why. Subscribed to
ThreadCreated and PostCreated; each recipient is handed to
community.forum_notifying once per post, with the most specific reason."""

from __future__ import annotations

from community import forum_notifying as notifying
from community.events import PostCreated, ThreadCreated
from community.models import ContentStatus, Post
from community.selectors.forums import watch_reasons_for_post
from core.events import subscribe


def forum_post_recipients(
    *,
    post: Post,
    mentioned_user_ids=(),
    quoted_user_ids=(),
    reply_to_user_id: int | None = None,
) -> dict[int, str]:
    """{user id: reason} for a new post: mentioned, quoted, replied to,
    the thread's author, then those watching the thread, then the
    category. The post's author is never among them."""
    thread = post.thread
    recipients: dict[int, str] = {}

    def add(user_ids, reason: str) -> None:
        for user_id in user_ids:
            if user_id and user_id != post.author_id and user_id not in recipients:
                recipients[user_id] = reason

    add(mentioned_user_ids, notifying.MENTIONED)
    add(quoted_user_ids, notifying.QUOTED)
    if reply_to_user_id:
        add([reply_to_user_id], notifying.REPLIED)
    if post.number > 1:
        add([thread.author_id], notifying.THREAD_REPLY)
    watchers = watch_reasons_for_post(post)
    add([u for u, r in watchers.items() if r == "thread"], notifying.WATCHING_THREAD)
    add([u for u, r in watchers.items() if r == "category"], notifying.WATCHING_CATEGORY)
    return recipients


def _notify(post_id: int, **kwargs) -> None:
    post = Post.objects.select_related("thread").filter(pk=post_id).first()
    if post is None or post.status != ContentStatus.PUBLISHED:
        return  # deleted or hidden before delivery
    for user_id, reason in forum_post_recipients(post=post, **kwargs).items():
        notifying.forum_post_notify(user_id=user_id, reason=reason, post=post)


@subscribe(ThreadCreated, name="community.forums.notify_thread_created")
def notify_thread_created(event: ThreadCreated) -> None:
    _notify(event.post_id, mentioned_user_ids=event.mentioned_user_ids)


@subscribe(PostCreated, name="community.forums.notify_post_created")
def notify_post_created(event: PostCreated) -> None:
    _notify(
        event.post_id,
        mentioned_user_ids=event.mentioned_user_ids,
        quoted_user_ids=event.quoted_user_ids,
        reply_to_user_id=event.reply_to_user_id,
    )
