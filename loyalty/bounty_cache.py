"""The open bounty of each listed question, for the "+50" beside it in the
community's lists (core.hooks.QUESTION_MARKS): from the cache in one round
trip for a whole page, read from the database once after each change of a
question's bounty (loyalty.stamped_cache explains why a change can never
leave it stale; its per-member keys are per-question keys here)."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.formats import number_format
from django.utils.translation import ngettext

from loyalty.models import Bounty, BountyStatus
from loyalty.stamped_cache import StampedCache

BOUNTY_MARK_SECONDS = 3600

open_bounties = StampedCache("loyalty:bounty:question", BOUNTY_MARK_SECONDS)


def bounty_changed(*, question_id: int) -> None:
    """The question's bounty was offered or closed: read it again after the commit."""
    open_bounties.changed(user_id=question_id)


def _read(question_ids: list[int]) -> dict[int, int]:
    points = dict(
        Bounty.objects.filter(question_id__in=question_ids, status=BountyStatus.OPEN).values_list(
            "question_id", "points"
        )
    )
    return {question_id: points.get(question_id, 0) for question_id in question_ids}


def open_bounty_points(question_ids: Iterable[int]) -> dict[int, int]:
    """{question id: points of its open bounty}, for those that have one."""
    found = open_bounties.get_many(question_ids, _read)
    return {question_id: points for question_id, points in found.items() if points}


def question_marks(question_ids: Iterable[int]) -> dict[int, list[dict]]:
    """core.hooks.QUESTION_MARKS: "+50" beside a question with an open bounty."""
    return {
        question_id: [
            {
                "label": f"+{number_format(points, force_grouping=True)}",
                "title": ngettext(
                    "Bounty: %(points)s point for the best answer",
                    "Bounty: %(points)s points for the best answer",
                    points,
                )
                % {"points": number_format(points, force_grouping=True)},
            }
        ]
        for question_id, points in open_bounty_points(question_ids).items()
    }
