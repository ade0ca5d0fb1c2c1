"""Reads of the earning rules and their awards."""

from __future__ import annotations

from collections.abc import Iterable

from loyalty.models import Award, EarningRule, RuleCode

# Rules that reward an author for writing content ("<kind>:<id>" subjects).
AUTHORED_RULES = (
    "review",
    "review_photo",
    "first_review",
    "answer",
    "answer_accepted",
    "forum_thread",
    "forum_reply",
)


def content_incentivised(*, kind: str, ids: Iterable[int]) -> set[int]:
    """Of the community content of `kind` with these ids, the ones whose
    author earned points for writing them (core.hooks.CONTENT_INCENTIVISED),
    in one query."""
    subjects = {f"{kind}:{pk}": pk for pk in ids}
    if not subjects:
        return set()
    rewarded = Award.objects.filter(
        subject__in=list(subjects), rule__in=AUTHORED_RULES, points__gt=0
    ).values_list("subject", flat=True)
    return {subjects[subject] for subject in rewarded}


def enabled_rules() -> list[EarningRule]:
    """The rules members earn by now, in the order of RuleCode (shopping,
    the account, reviews, answers, forums, the rest). One query."""
    position = {code: index for index, code in enumerate(RuleCode.values)}
    rules = EarningRule.objects.filter(enabled=True)
    return sorted(rules, key=lambda rule: position.get(rule.code, len(position)))
