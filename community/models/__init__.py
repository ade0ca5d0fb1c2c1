"""Community models, one module per kind of content (Zulip's models/ package)."""

from community.models.base import ContentStatus, MemberContent, Revision
from community.models.forums import (
    ForumCategory,
    Post,
    PostLike,
    TaggedThread,
    Thread,
    ThreadRead,
    Watch,
)
from community.models.moderation import (
    CommunitySettings,
    Flag,
    MemberProfile,
    ModerationAction,
    QueueItem,
    TrustLevel,
)

__all__ = [
    "CommunitySettings",
    "ContentStatus",
    "Flag",
    "ForumCategory",
    "MemberContent",
    "MemberProfile",
    "ModerationAction",
    "Post",
    "PostLike",
    "QueueItem",
    "Revision",
    "TaggedThread",
    "Thread",
    "ThreadRead",
    "TrustLevel",
    "Watch",
]
