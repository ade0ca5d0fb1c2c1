"""The bounties' handlers (imported by loyalty/handlers.py): an accepted
answer closes the question's open bounty, a removed question refunds it.
Idempotent: only an open bounty is closed, under its row lock."""

from __future__ import annotations

from community.events import AnswerAccepted, ContentRemoved
from core.events import subscribe
from loyalty.services.bounties import bounty_answer_accepted, bounty_question_removed


@subscribe(AnswerAccepted, name="loyalty.bounty_answer_accepted")
def bounty_on_answer_accepted(event: AnswerAccepted) -> None:
    bounty_answer_accepted(
        question_id=event.question_id,
        answer_id=event.answer_id,
        author_id=event.author_id,
        accepted_by_id=event.accepted_by_id,
        source_event_id=event.event_id,
        occurred_at=event.occurred_at,
    )


@subscribe(ContentRemoved, name="loyalty.bounty_question_removed")
def bounty_on_question_removed(event: ContentRemoved) -> None:
    if event.kind != "question":
        return
    bounty_question_removed(
        question_id=event.content_id,
        by_author=event.by_author,
        source_event_id=event.event_id,
        occurred_at=event.occurred_at,
    )
