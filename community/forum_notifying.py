"""The one place forum notifications leave the community: each recipient of
a new post, with why they get it, handed to the notification centre
(community.notifications)."""

from __future__ import annotations

from community.models import Post

# The reasons, most specific first (a member gets one notification per
# post, for the first reason that applies to them).
MENTIONED = "mentioned"
QUOTED = "quoted"
REPLIED = "replied"  # someone answered one of your posts
THREAD_REPLY = "thread_reply"  # a reply in a thread you started
WATCHING_THREAD = "watching_thread"
WATCHING_CATEGORY = "watching_category"
REASONS = (MENTIONED, QUOTED, REPLIED, THREAD_REPLY, WATCHING_THREAD, WATCHING_CATEGORY)


def forum_post_notify(*, user_id: int, reason: str, post: Post) -> None:
    """Tell `user_id` about `post`, for `reason` (one of REASONS)."""
    from community.notifications import notify_forum_post

    notify_forum_post(user_id=user_id, reason=reason, post=post)
