"""The community's reactions to events (core imports this module at
start-up): its own notifications (community.notifications), and asking
buyers about a product question."""

from __future__ import annotations

from community import notifications
from community.events import (
    AnswerAccepted,
    AnswerPosted,
    ContentModerated,
    MerchantReplied,
    PostLiked,
    QuestionAsked,
)
from community.services.qa import question_ask_buyers
from core.events import subscribe


@subscribe(ContentModerated, name="community.notify_moderation_decision")
def notify_moderation_decision(event: ContentModerated) -> None:
    notifications.notify_decision(event)


@subscribe(QuestionAsked, name="community.ask_recent_buyers")
def ask_recent_buyers(event: QuestionAsked) -> None:
    """A product question: a few recent buyers of the product are asked to help."""
    if event.product_id is None:
        return
    question_ask_buyers(question_id=event.question_id)


@subscribe(PostLiked, name="community.notify_post_liked")
def notify_post_liked(event: PostLiked) -> None:
    notifications.notify_like(event)


@subscribe(AnswerPosted, name="community.notify_answer_posted")
def notify_answer_posted(event: AnswerPosted) -> None:
    notifications.notify_answer(event)


@subscribe(AnswerAccepted, name="community.notify_answer_accepted")
def notify_answer_accepted(event: AnswerAccepted) -> None:
    notifications.notify_accepted(event)


@subscribe(MerchantReplied, name="community.notify_merchant_replied")
def notify_merchant_replied(event: MerchantReplied) -> None:
    notifications.notify_review_reply(event)
