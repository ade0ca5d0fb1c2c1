"""The forums' part of "download my data" and account deletion (the
USER_DATA_EXPORT and USER_ANONYMISE hooks, registered in CommunityConfig).

Deletion keeps a member's posts, as a forum must for the replies and quotes
that answer them (their author line then shows no name, handle or avatar:
community.selectors.members.authors_for); it removes what only tracked the
member: what they watched and how far they read."""

from __future__ import annotations

from community.models import Post, PostLike, Thread, ThreadRead, Watch

SECTION = "forums"


def forum_data_export(user) -> tuple[str, dict]:
    posts = Post.objects.filter(author=user).select_related("thread").order_by("created_at")
    return SECTION, {
        "threads_started": [
            {"id": t.pk, "title": t.title, "created_at": t.created_at.isoformat()}
            for t in Thread.objects.filter(author=user).order_by("created_at")
        ],
        "posts": [
            {
                "id": p.pk,
                "thread": p.thread.title,
                "number": p.number,
                "text": p.body_md,
                "status": p.status,
                "created_at": p.created_at.isoformat(),
                "edited_at": p.edited_at.isoformat() if p.edited_at else None,
            }
            for p in posts
        ],
        "likes_given": list(
            PostLike.objects.filter(user=user).order_by("pk").values_list("post_id", flat=True)
        ),
        "watching": [
            {"thread_id": w.thread_id, "category_id": w.category_id}
            for w in Watch.objects.filter(user=user).order_by("pk")
        ],
    }


def forum_user_anonymise(user) -> None:
    Watch.objects.filter(user=user).delete()
    ThreadRead.objects.filter(user=user).delete()
