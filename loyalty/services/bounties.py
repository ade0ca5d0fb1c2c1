"""Bounties on questions (loyalty/models/bounties.py has the rules): offering
one, and closing it by paying an answer's author or giving the points back.

Every close locks the bounty's row first and acts only on an open bounty,
so an event delivered three times, a beat task racing a handler, or two
acceptances heard at once pay or refund once. The points move through the
ledger under the member's account lock: offering takes them inside the
offer's transaction, so two offers at once cannot spend the same points.

Questions belong to the community app; their facts come through
core.hooks.QUESTION_FACTS and QUESTION_TOP_ANSWER (without a provider no
question can take a bounty)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import hooks
from core.exceptions import ApplicationError
from loyalty.bounty_cache import bounty_changed
from loyalty.models import Bounty, BountyOutcome, BountyStatus, EntryKind, ProgramSettings
from loyalty.notifications import notify_bounty_closed, notify_bounty_won
from loyalty.selectors.bounties import question_facts
from loyalty.services.ledger import points_bounty_pay, points_give_back, points_redeem

BOUNTY_RULE = "bounty"
MIN_TOP_SCORE = 1  # the top-voted answer needs at least this score
HISTORY_URL = "/rewards/history/"


def bounty_subject(bounty_id: int) -> str:
    return f"bounty:{bounty_id}"


def _top_answer(*, question_id: int, exclude_author_ids: list[int]) -> dict | None:
    return hooks.call_first(
        hooks.QUESTION_TOP_ANSWER,
        question_id,
        exclude_author_ids=exclude_author_ids,
        default=None,
    )


# ------------------------------------------------------------------ offering
def _unavailable() -> ApplicationError:
    return ApplicationError(_("No such question."), code="question_unavailable", status_code=404)


def bounty_refusal(*, facts: dict | None, user=None) -> ApplicationError | None:
    """Why this question cannot take a new bounty, or None. Given the
    member asking, a question they may not see (one waiting for approval
    that is not theirs) is unknown to them, like a hidden or removed one:
    its address, which holds its title, must not reach them."""
    if facts is None or facts.get("status") in ("hidden", "removed"):
        return _unavailable()
    if (
        user is not None
        and not facts.get("is_public")
        and (not user.is_authenticated or facts.get("author_id") != user.pk)
    ):
        return _unavailable()
    if not facts.get("is_public"):
        return ApplicationError(
            _("A bounty can be offered once the question is published."),
            code="question_not_published",
        )
    if facts.get("is_closed"):
        return ApplicationError(
            _("This question is closed as a duplicate; offer a bounty on the original question."),
            code="question_closed",
        )
    if facts.get("accepted_answer_id"):
        return ApplicationError(
            _("This question already has an accepted answer."), code="question_answered"
        )
    return None


def _points_refusal(message: str, *, code: str) -> ApplicationError:
    # The API puts it beside the field too.
    return ApplicationError(message, code=code, extra={"points": [message]})


def _already_open() -> ApplicationError:
    return ApplicationError(
        _("This question already has an open bounty."), code="bounty_exists", status_code=409
    )


def bounty_offer(*, user, question_id: int, points: int) -> Bounty:
    """`user` offers `points` on the question: taken from their available
    points now, held until the bounty closes. Refused, with nothing written,
    below the program's smallest or above its largest bounty, on a question
    that is not published (a 404 unless it is theirs), closed, already
    answered or already has an open bounty, and when the member lacks the
    points (two offers at once are
    serialised by the member's account lock; one open bounty per question is
    also a partial unique constraint)."""
    if user is None or not user.is_authenticated:
        raise ApplicationError(
            _("Log in to offer a bounty."), code="login_required", status_code=403
        )
    program = ProgramSettings.current()
    if points < program.bounty_minimum_points:
        raise _points_refusal(
            _("A bounty is at least %(minimum)s points.")
            % {"minimum": program.bounty_minimum_points},
            code="bounty_too_small",
        )
    if points > program.bounty_maximum_points:
        raise _points_refusal(
            _("A bounty is at most %(maximum)s points.")
            % {"maximum": program.bounty_maximum_points},
            code="bounty_too_large",
        )
    facts = question_facts([question_id]).get(question_id)
    refusal = bounty_refusal(facts=facts, user=user)
    if refusal is not None:
        raise refusal
    with transaction.atomic():
        if Bounty.objects.filter(question_id=question_id, status=BountyStatus.OPEN).exists():
            raise _already_open()
        try:
            with transaction.atomic():
                bounty = Bounty.objects.create(
                    question_id=question_id,
                    question_title=facts["title"][:200],
                    offerer=user,
                    points=points,
                    deadline=timezone.now() + timedelta(days=program.bounty_days),
                )
        except IntegrityError:
            raise _already_open() from None
        try:
            points_redeem(
                user_id=user.pk,
                points=points,
                subject=bounty_subject(bounty.pk),
                rule=BOUNTY_RULE,
                kind=EntryKind.ESCROW,
                note=facts["title"][:200],
            )
        except ApplicationError as error:
            if error.code == "insufficient_points":
                error.extra = {"points": [error.message], **error.extra}
            raise
        bounty_changed(question_id=question_id)
    return bounty


# ------------------------------------------------------------------- closing
def _close(
    bounty: Bounty,
    *,
    outcome: str,
    facts: dict | None,
    answer_id: int | None = None,
    winner_id: int | None = None,
    source_event_id: uuid.UUID | None = None,
    actor=None,
    note: str = "",
) -> Bounty:
    """Pay `winner_id` for `answer_id`, or give the points back (no winner).
    Call inside a transaction holding the open bounty's row lock."""
    paid = winner_id is not None
    bounty.status = BountyStatus.PAID if paid else BountyStatus.REFUNDED
    bounty.outcome = outcome
    bounty.answer_id = answer_id  # on a refund: the accepted answer that could not win
    bounty.winner_id = winner_id
    bounty.closed_at = timezone.now()
    bounty.closed_by = actor
    bounty.note = note[:500]
    bounty.source_event_id = source_event_id
    bounty.save()
    title = (facts or {}).get("title") or bounty.question_title
    question_url = (facts or {}).get("url", "") if (facts or {}).get("is_public") else ""
    subject = bounty_subject(bounty.pk)
    if paid:
        points_bounty_pay(
            user_id=winner_id, points=bounty.points, subject=subject, note=title[:200]
        )
        answer_url = f"{question_url}#answer-{answer_id}" if question_url else HISTORY_URL
        notify_bounty_won(bounty=bounty, title=title, url=answer_url)
    else:
        points_give_back(
            user_id=bounty.offerer_id,
            points=bounty.points,
            subject=subject,
            rule=BOUNTY_RULE,
            note=(note or str(BountyOutcome(outcome).label))[:500],
        )
    notify_bounty_closed(bounty=bounty, title=title, url=question_url or HISTORY_URL)
    bounty_changed(question_id=bounty.question_id)
    return bounty


def _open_bounty_locked(*, question_id: int) -> Bounty | None:
    return (
        Bounty.objects.select_for_update()
        .filter(question_id=question_id, status=BountyStatus.OPEN)
        .first()
    )


def _heard_while_open(bounty: Bounty, occurred_at: datetime | None) -> bool:
    """An event from before the bounty was offered (a late redelivery of an
    acceptance since taken back) does not decide it."""
    return occurred_at is None or occurred_at >= bounty.created_at


def _acceptance_winner(bounty: Bounty, *, author_id: int, accepted_by_id: int) -> int | None:
    """Who an acceptance pays: the answer's author, unless they offered the
    bounty or accepted their own answer (then nobody: the points go back)."""
    if author_id in (bounty.offerer_id, accepted_by_id):
        return None
    return author_id


@transaction.atomic
def bounty_answer_accepted(
    *,
    question_id: int,
    answer_id: int,
    author_id: int,
    accepted_by_id: int,
    source_event_id: uuid.UUID | None = None,
    occurred_at: datetime | None = None,
) -> Bounty | None:
    """An answer to the question was accepted (community's AnswerAccepted):
    the first acceptance heard while the bounty is open closes it. Returns
    the bounty it closed, or None."""
    bounty = _open_bounty_locked(question_id=question_id)
    if bounty is None or not _heard_while_open(bounty, occurred_at):
        return None
    winner_id = _acceptance_winner(bounty, author_id=author_id, accepted_by_id=accepted_by_id)
    facts = question_facts([question_id]).get(question_id)
    return _close(
        bounty,
        outcome=BountyOutcome.ACCEPTED if winner_id else BountyOutcome.OWN_ANSWER,
        facts=facts,
        answer_id=answer_id,
        winner_id=winner_id,
        source_event_id=source_event_id,
    )


@transaction.atomic
def bounty_question_removed(
    *,
    question_id: int,
    by_author: bool = False,
    source_event_id: uuid.UUID | None = None,
    occurred_at: datetime | None = None,
) -> Bounty | None:
    """The question was hidden or deleted: its open bounty is refunded (a
    later restore does not open it again).

    Unless the offerer deleted their own question once it was answered:
    deleting it must not take the points back from the members who answered.
    Then the accepted answer (by someone else) wins them, else the
    best-scored answer by someone else; with no such answer they go back."""
    bounty = _open_bounty_locked(question_id=question_id)
    if bounty is None or not _heard_while_open(bounty, occurred_at):
        return None
    facts = question_facts([question_id]).get(question_id)
    if by_author and facts is not None and facts.get("author_id") == bounty.offerer_id:
        accepted_author = facts.get("accepted_answer_author_id")
        if (
            facts.get("accepted_answer_id")
            and accepted_author
            and accepted_author != bounty.offerer_id
        ):
            return _close(
                bounty,
                outcome=BountyOutcome.ACCEPTED,
                facts=facts,
                answer_id=facts["accepted_answer_id"],
                winner_id=accepted_author,
                source_event_id=source_event_id,
            )
        top = _top_answer(question_id=question_id, exclude_author_ids=[bounty.offerer_id])
        if top is not None:
            return _close(
                bounty,
                outcome=BountyOutcome.TOP_VOTED,
                facts=facts,
                answer_id=top["answer_id"],
                winner_id=top["author_id"],
                source_event_id=source_event_id,
            )
    return _close(
        bounty,
        outcome=BountyOutcome.QUESTION_REMOVED,
        facts=facts,
        source_event_id=source_event_id,
    )


@transaction.atomic
def bounty_refund(*, bounty_id: int, actor, reason: str) -> Bounty:
    """Staff give an open bounty's points back to its offerer, with a reason."""
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(_("Give a reason for the refund."), code="reason_required")
    bounty = Bounty.objects.select_for_update().filter(pk=bounty_id).first()
    if bounty is None:
        raise ApplicationError(_("No such bounty."), code="not_found", status_code=404)
    if not bounty.is_open:
        raise ApplicationError(
            _("This bounty is closed already (%(status)s).")
            % {"status": bounty.get_status_display()},
            code="bounty_closed",
        )
    facts = question_facts([bounty.question_id]).get(bounty.question_id)
    return _close(bounty, outcome=BountyOutcome.STAFF, facts=facts, actor=actor, note=reason)


def bounty_settle(*, bounty_id: int, now: datetime | None = None) -> Bounty | None:
    """Close a bounty whose deadline has passed: the accepted answer (if its
    acceptance was not heard yet), else the top-voted answer with a score of
    at least MIN_TOP_SCORE not written by the offerer, else a refund. Returns
    the bounty if this call closed it."""
    now = now or timezone.now()
    with transaction.atomic():
        bounty = Bounty.objects.select_for_update().filter(pk=bounty_id).first()
        if bounty is None or not bounty.is_open or bounty.deadline > now:
            return None
        facts = question_facts([bounty.question_id]).get(bounty.question_id)
        if facts is None or not facts.get("is_public"):
            return _close(bounty, outcome=BountyOutcome.QUESTION_REMOVED, facts=facts)
        if facts.get("accepted_answer_id") and facts.get("accepted_answer_author_id"):
            # Who accepted it is not among the facts: the asker, as a rule.
            winner_id = _acceptance_winner(
                bounty,
                author_id=facts["accepted_answer_author_id"],
                accepted_by_id=facts["author_id"],
            )
            return _close(
                bounty,
                outcome=BountyOutcome.ACCEPTED if winner_id else BountyOutcome.OWN_ANSWER,
                facts=facts,
                answer_id=facts["accepted_answer_id"],
                winner_id=winner_id,
            )
        top = _top_answer(question_id=bounty.question_id, exclude_author_ids=[bounty.offerer_id])
        if top is not None and top["score"] >= MIN_TOP_SCORE:
            return _close(
                bounty,
                outcome=BountyOutcome.TOP_VOTED,
                facts=facts,
                answer_id=top["answer_id"],
                winner_id=top["author_id"],
            )
        return _close(bounty, outcome=BountyOutcome.NO_ANSWER, facts=facts)


def bounties_settle_due(*, now: datetime | None = None, limit: int = 200) -> int:
    """The beat task: close every open bounty past its deadline, one
    transaction each (so one long run never holds many locks). Returns how
    many this run closed."""
    now = now or timezone.now()
    due = list(
        Bounty.objects.filter(status=BountyStatus.OPEN, deadline__lte=now)
        .order_by("deadline", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(1 for bounty_id in due if bounty_settle(bounty_id=bounty_id, now=now) is not None)
