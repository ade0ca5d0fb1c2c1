"""The community's reactions to events (core imports this module at start-up)."""

from __future__ import annotations

from community.events import QuestionAsked
from community.services.qa import question_ask_buyers
from core.events import subscribe


@subscribe(QuestionAsked, name="community.ask_recent_buyers")
def ask_recent_buyers(event: QuestionAsked) -> None:
    """A product question: a few recent buyers of the product are asked to help."""
    if event.product_id is None:
        return
    question_ask_buyers(question_id=event.question_id)
