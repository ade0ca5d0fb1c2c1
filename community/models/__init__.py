"""Community models, one module per kind of content (Zulip's models/ package)."""

from community.models.base import ContentStatus, MemberContent, Revision
from community.models.moderation import (
    CommunitySettings,
    Flag,
    MemberProfile,
    ModerationAction,
    QueueItem,
    TrustLevel,
)
from community.models.reviews import ProductRating, Review, ReviewPhoto, ReviewVote

__all__ = [
    "CommunitySettings",
    "ContentStatus",
    "Flag",
    "MemberContent",
    "MemberProfile",
    "ModerationAction",
    "ProductRating",
    "QueueItem",
    "Review",
    "ReviewPhoto",
    "ReviewVote",
    "Revision",
    "TrustLevel",
]
