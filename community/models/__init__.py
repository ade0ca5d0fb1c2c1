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
from community.models.polls import Poll, PollBallot, PollOption, PollVote
from community.models.qa import Answer, AnswerVote, BuyerQuestionRequest, Question
from community.models.reviews import (
    ProductRating,
    Review,
    ReviewPhoto,
    ReviewReplyRevision,
    ReviewVote,
)

__all__ = [
    "Answer",
    "AnswerVote",
    "BuyerQuestionRequest",
    "CommunitySettings",
    "ContentStatus",
    "Flag",
    "ForumCategory",
    "MemberContent",
    "MemberProfile",
    "ModerationAction",
    "Poll",
    "PollBallot",
    "PollOption",
    "PollVote",
    "Post",
    "PostLike",
    "ProductRating",
    "Question",
    "QueueItem",
    "Review",
    "ReviewPhoto",
    "ReviewReplyRevision",
    "ReviewVote",
    "Revision",
    "TaggedThread",
    "Thread",
    "ThreadRead",
    "TrustLevel",
    "Watch",
]
