"""Reads of bounties, each a fixed number of queries (the questions' titles
and addresses come from one call of core.hooks.QUESTION_FACTS per page)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import QuerySet

from core import hooks
from loyalty.models import Bounty, BountyStatus

QUESTION_BOUNTIES_SHOWN = 5


def question_facts(question_ids: Iterable[int]) -> dict[int, dict]:
    """core.hooks.QUESTION_FACTS for these questions ({} without a provider)."""
    ids = sorted({int(pk) for pk in question_ids})
    if not ids:
        return {}
    return hooks.call_first(hooks.QUESTION_FACTS, ids, default={}) or {}


def question_bounties(*, question_id: int) -> list[Bounty]:
    """The question's open bounty and the ones it paid, newest first (one query)."""
    return list(
        Bounty.objects.filter(
            question_id=question_id, status__in=[BountyStatus.OPEN, BountyStatus.PAID]
        )
        .select_related("offerer", "winner")
        .order_by("-created_at", "-pk")[:QUESTION_BOUNTIES_SHOWN]
    )


def open_bounties(*, question_id: int | None = None) -> QuerySet[Bounty]:
    """Open bounties, the soonest to close first (paginate it)."""
    bounties = Bounty.objects.filter(status=BountyStatus.OPEN).select_related("offerer")
    if question_id is not None:
        bounties = bounties.filter(question_id=question_id)
    return bounties.order_by("deadline", "pk")


@dataclass(frozen=True)
class BountyRow:
    bounty: Bounty
    title: str
    url: str  # "" when the question is not public


def bounty_rows(bounties: Iterable[Bounty]) -> list[BountyRow]:
    """Bounties with their questions' current titles and addresses (one hook
    call for all of them)."""
    bounties = list(bounties)
    facts = question_facts({b.question_id for b in bounties})
    rows = []
    for bounty in bounties:
        question = facts.get(bounty.question_id) or {}
        public = bool(question.get("is_public"))
        rows.append(
            BountyRow(
                bounty=bounty,
                title=question.get("title") or bounty.question_title,
                url=question.get("url", "") if public else "",
            )
        )
    return rows
