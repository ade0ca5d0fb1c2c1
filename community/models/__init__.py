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
from community.models.qa import Answer, AnswerVote, BuyerQuestionRequest, Question

__all__ = [
    "Answer",
    "AnswerVote",
    "BuyerQuestionRequest",
    "CommunitySettings",
    "ContentStatus",
    "Flag",
    "MemberContent",
    "MemberProfile",
    "ModerationAction",
    "Question",
    "QueueItem",
    "Revision",
    "TrustLevel",
]
