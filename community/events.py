"""The community's public contract: the events other apps (loyalty,
notifications, analytics) may subscribe to. Each carries what a points or
notification consumer needs without reading community tables: the author,
the product the content is about, whether the author is a verified buyer of
it, and the content's kind and id.

Events are published once the content is public: content held for approval
publishes its "created" event when a moderator approves it. Hiding or
deleting public content publishes ContentRemoved (points can be reversed);
restoring it publishes ContentRestored.

Kinds: "review", "review_photo", "thread", "post", "question", "answer",
"poll"."""

from __future__ import annotations

from dataclasses import dataclass, field

from core.events import DomainEvent


@dataclass(frozen=True, kw_only=True)
class ReviewPublished(DomainEvent, name="community.review_published"):
    review_id: int
    author_id: int
    product_id: int
    stars: int
    verified_buyer: bool
    photo_count: int = 0
    kind: str = "review"


@dataclass(frozen=True, kw_only=True)
class ReviewVoted(DomainEvent, name="community.review_voted"):
    review_id: int
    voter_id: int
    author_id: int
    product_id: int
    helpful: bool = True
    kind: str = "review"


@dataclass(frozen=True, kw_only=True)
class MerchantReplied(DomainEvent, name="community.merchant_replied"):
    review_id: int
    author_id: int  # the review's author, whom the reply is for
    product_id: int
    staff_id: int


@dataclass(frozen=True, kw_only=True)
class ThreadCreated(DomainEvent, name="community.thread_created"):
    thread_id: int
    post_id: int  # the thread's first post
    author_id: int
    category_id: int
    product_id: int | None = None
    verified_buyer: bool = False
    mentioned_user_ids: list[int] = field(default_factory=list)
    kind: str = "thread"


@dataclass(frozen=True, kw_only=True)
class PostCreated(DomainEvent, name="community.post_created"):
    post_id: int
    thread_id: int
    author_id: int
    category_id: int
    thread_author_id: int
    product_id: int | None = None
    verified_buyer: bool = False
    reply_to_user_id: int | None = None
    mentioned_user_ids: list[int] = field(default_factory=list)
    quoted_user_ids: list[int] = field(default_factory=list)
    kind: str = "post"


@dataclass(frozen=True, kw_only=True)
class PostLiked(DomainEvent, name="community.post_liked"):
    post_id: int
    thread_id: int
    liker_id: int
    author_id: int
    kind: str = "post"


@dataclass(frozen=True, kw_only=True)
class QuestionAsked(DomainEvent, name="community.question_asked"):
    question_id: int
    author_id: int
    product_id: int | None = None
    verified_buyer: bool = False
    kind: str = "question"


@dataclass(frozen=True, kw_only=True)
class AnswerPosted(DomainEvent, name="community.answer_posted"):
    answer_id: int
    question_id: int
    author_id: int
    question_author_id: int
    product_id: int | None = None
    verified_buyer: bool = False
    official: bool = False
    kind: str = "answer"


@dataclass(frozen=True, kw_only=True)
class AnswerVoted(DomainEvent, name="community.answer_voted"):
    answer_id: int
    question_id: int
    voter_id: int
    author_id: int
    value: int  # +1 or -1; 0 when a vote was withdrawn
    product_id: int | None = None
    kind: str = "answer"


@dataclass(frozen=True, kw_only=True)
class AnswerAccepted(DomainEvent, name="community.answer_accepted"):
    answer_id: int
    question_id: int
    author_id: int  # the answer's author
    accepted_by_id: int
    product_id: int | None = None
    kind: str = "answer"


@dataclass(frozen=True, kw_only=True)
class AnswerUnaccepted(DomainEvent, name="community.answer_unaccepted"):
    answer_id: int
    question_id: int
    author_id: int
    accepted_by_id: int
    product_id: int | None = None
    kind: str = "answer"


@dataclass(frozen=True, kw_only=True)
class PollCreated(DomainEvent, name="community.poll_created"):
    poll_id: int
    author_id: int
    thread_id: int | None = None
    product_id: int | None = None
    kind: str = "poll"


@dataclass(frozen=True, kw_only=True)
class PollVoted(DomainEvent, name="community.poll_voted"):
    poll_id: int
    voter_id: int
    option_ids: list[int]
    author_id: int
    first_vote: bool = True  # False when a member changed their vote
    product_id: int | None = None
    kind: str = "poll"


@dataclass(frozen=True, kw_only=True)
class ContentRemoved(DomainEvent, name="community.content_removed"):
    """Public content was hidden (by a moderator or after flags) or deleted."""

    kind: str
    content_id: int
    author_id: int
    product_id: int | None = None
    moderator_id: int | None = None  # None: the system or the author
    by_author: bool = False
    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class ContentRestored(DomainEvent, name="community.content_restored"):
    kind: str
    content_id: int
    author_id: int
    product_id: int | None = None
    moderator_id: int | None = None
    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class ContentModerated(DomainEvent, name="community.content_moderated"):
    """A moderator decided on a member's content (for the member's
    notification): approved, hidden, restored or deleted."""

    kind: str
    content_id: int
    author_id: int
    decision: str  # a ModerationAction.Action value
    moderator_id: int | None = None
    reason: str = ""
    url: str = ""
    title: str = ""
