"""Polls' writes: create, edit the question and text, vote (or change a
vote), close.

A vote locks the poll row first (FOR NO KEY UPDATE: it does not block the
key-share locks that inserting ballots takes), then reads and replaces the
member's ballot. Every vote of a poll, and its closing, therefore runs one
after the other: a member has one ballot, the ballot's choices are within
the poll's limits, and the counters move with F() in the same transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from community.events import PollVoted
from community.models import ContentStatus, Poll, PollBallot, PollOption, PollVote
from community.models.polls import OPTION_LABEL_MAX, OPTIONS_MAX, OPTIONS_MIN, TITLE_MAX
from community.permissions import is_moderator
from community.services.members import member_can_vote_check, member_posting_check
from community.services.moderation import (
    body_render,
    content_created,
    content_edit,
    text_clean,
)
from core import pagecache
from core.events import publish
from core.exceptions import ApplicationError
from shop import selectors as shop_selectors

BODY_MAX = 5000


@dataclass(frozen=True)
class OptionInput:
    label: str
    product_id: int | None = None


def _error(message: str, *, code: str, field: str | None = None, status_code=None):
    return ApplicationError(
        message,
        code=code,
        extra={field: [message]} if field else None,
        status_code=status_code,
    )


def _clean_options(options: list[OptionInput | str]) -> list[OptionInput]:
    cleaned: list[OptionInput] = []
    seen: set[str] = set()
    for raw in options:
        item = raw if isinstance(raw, OptionInput) else OptionInput(label=raw)
        if not (item.label or "").strip():
            continue  # an empty line of the form
        try:
            label = text_clean(item.label, label=_("An option"), max_length=OPTION_LABEL_MAX)
        except ApplicationError as error:
            raise _error(error.message, code=error.code, field="options") from None
        label = " ".join(label.split())
        key = label.casefold()
        if key in seen:
            raise _error(
                _("Each option must be different: “%(label)s” is there twice.") % {"label": label},
                code="duplicate_option",
                field="options",
            )
        seen.add(key)
        cleaned.append(OptionInput(label=label, product_id=item.product_id))
    if not OPTIONS_MIN <= len(cleaned) <= OPTIONS_MAX:
        raise _error(
            _("A poll needs from %(min)d to %(max)d options (it has %(count)d).")
            % {"min": OPTIONS_MIN, "max": OPTIONS_MAX, "count": len(cleaned)},
            code="option_count",
            field="options",
        )
    return cleaned


def _clean_choices(
    *, poll_type: str, min_choices: int | None, max_choices: int | None, option_count: int
) -> tuple[int, int]:
    if poll_type not in Poll.Type.values:
        raise _error(_("Choose single or multiple choice."), code="poll_type", field="poll_type")
    if poll_type == Poll.Type.SINGLE:
        return 1, 1
    low = 1 if min_choices is None else min_choices
    high = option_count if max_choices is None else max_choices
    if low < 1:
        raise _error(
            _("The fewest choices must be at least 1."), code="min_choices", field="min_choices"
        )
    if high > option_count:
        raise _error(
            _("The most choices can be at most the number of options (%(count)d).")
            % {"count": option_count},
            code="max_choices",
            field="max_choices",
        )
    if low > high:
        raise _error(
            _("The fewest choices (%(min)d) cannot be more than the most choices (%(max)d).")
            % {"min": low, "max": high},
            code="min_over_max",
            field="min_choices",
        )
    return low, high


def _products(product_ids: set[int]) -> set[int]:
    from shop.models import Product

    if not product_ids:
        return set()
    return set(
        Product.objects.filter(pk__in=product_ids, is_published=True).values_list("pk", flat=True)
    )


@transaction.atomic
def poll_create(
    *,
    author,
    title: str,
    options: list[OptionInput | str],
    body_md: str = "",
    poll_type: str = Poll.Type.SINGLE,
    min_choices: int | None = None,
    max_choices: int | None = None,
    results: str = Poll.Results.ALWAYS,
    public_voters: bool = False,
    owners_only: bool = False,
    product_id: int | None = None,
    close_at: datetime | None = None,
    thread=None,
) -> Poll:
    """A new poll, published at once or held for approval as the posting
    rules decide; in `thread` (its author's or a moderator's, open for
    replies) it shows at the top of the thread. Refusals (ApplicationError)
    name the field in `extra`."""
    if thread is not None:
        _check_thread(thread=thread, author=author)
    text = "\n".join([title or "", body_md or "", *[str(getattr(o, "label", o)) for o in options]])
    decision = member_posting_check(user=author, text=text)
    try:
        title = text_clean(title, label=_("The question"), max_length=TITLE_MAX)
    except ApplicationError as error:
        raise _error(error.message, code=error.code, field="title") from None
    try:
        body_md = text_clean(body_md, label=_("The text"), max_length=BODY_MAX, required=False)
    except ApplicationError as error:
        raise _error(error.message, code=error.code, field="body_md") from None
    cleaned = _clean_options(options)
    low, high = _clean_choices(
        poll_type=poll_type,
        min_choices=min_choices,
        max_choices=max_choices,
        option_count=len(cleaned),
    )
    if results not in Poll.Results.values:
        raise _error(_("Choose when the results are shown."), code="results", field="results")
    if close_at is not None and close_at <= timezone.now():
        raise _error(
            _("The closing time must be in the future."), code="close_at_past", field="close_at"
        )
    if owners_only and product_id is None:
        raise _error(
            _("Choose the product whose buyers may vote."), code="product_required", field="product"
        )
    wanted = {p for p in [product_id, *[o.product_id for o in cleaned]] if p is not None}
    found = _products(wanted)
    if product_id is not None and product_id not in found:
        raise _error(_("No such product."), code="product", field="product")
    if wanted - found:
        raise _error(
            _("An option links a product that does not exist."),
            code="option_product",
            field="options",
        )
    poll = Poll.objects.create(
        author=author,
        title=title,
        body_md=body_md,
        body_html=body_render(body_md) if body_md else "",
        status=ContentStatus.PENDING,
        poll_type=poll_type,
        min_choices=low,
        max_choices=high,
        results=results,
        public_voters=public_voters,
        owners_only=owners_only,
        product_id=product_id,
        close_at=close_at,
        thread=thread,
    )
    PollOption.objects.bulk_create(
        [
            PollOption(poll=poll, label=o.label, position=n, product_id=o.product_id)
            for n, o in enumerate(cleaned, start=1)
        ]
    )
    content_created(content=poll, pending=decision.needs_approval)
    _thread_page_changed(poll)
    return poll


def _check_thread(*, thread, author) -> None:
    if not is_moderator(author):
        if thread.author_id != author.pk:
            raise _error(
                _("Only the thread's author can add a poll to it."),
                code="thread_forbidden",
                field="thread",
            )
        if thread.status != ContentStatus.PUBLISHED or thread.locked or thread.closed:
            raise _error(_("This thread takes no new polls."), code="thread_closed", field="thread")


# -------------------------------------------------------------------- edit
@transaction.atomic
def poll_edit(*, poll: Poll, editor, title: str | None = None, body_md: str | None = None) -> Poll:
    """Reword the question and/or the text (None: unchanged): the poll's
    author within the edit window, a moderator at any time (kernel
    content_edit, which keeps the previous text as a Revision). Options,
    rules and votes stay as they are. Refusals name the field in `extra`."""
    changes: dict[str, str] = {}
    if title is not None:
        try:
            changes["title"] = text_clean(title, label=_("The question"), max_length=TITLE_MAX)
        except ApplicationError as error:
            raise _error(error.message, code=error.code, field="title") from None
    if body_md is not None:
        try:
            changes["body_md"] = text_clean(
                body_md, label=_("The text"), max_length=BODY_MAX, required=False
            )
        except ApplicationError as error:
            raise _error(error.message, code=error.code, field="body_md") from None
    poll = content_edit(content=poll, editor=editor, changes=changes)
    _thread_page_changed(poll)
    return poll


def _thread_page_changed(poll: Poll) -> None:
    """Visitors' stored copy of the poll's thread shows it: renew it."""
    if poll.thread_id is not None:
        from community.models import Thread

        namespace = Thread(pk=poll.thread_id).page_namespace
        pagecache.bump(namespace, reason="poll in thread")


# -------------------------------------------------------------------- votes
@dataclass(frozen=True)
class VoteResult:
    poll: Poll
    option_ids: list[int]
    first_vote: bool
    changed: bool


def poll_vote_refusal(
    *, poll: Poll, user, now=None, owns_product: bool | None = None
) -> ApplicationError | None:
    """Why `user` cannot vote in `poll` now (without the banned check,
    member_can_vote_check's), or None. `owns_product`: whether they bought
    an owners-only poll's product, when the caller already knows (a page
    asks once for all its polls). Read without locks: the vote service asks
    again holding the poll's lock."""
    if poll.status != ContentStatus.PUBLISHED:
        return ApplicationError(
            _("This poll is not open for votes."), code="not_visible", status_code=404
        )
    if poll.is_closed_at(now):
        return ApplicationError(_("This poll is closed."), code="closed", status_code=409)
    if owns_product is None and poll.owners_only:
        owns_product = shop_selectors.user_purchased(user_id=user.pk, product_id=poll.product_id)
    if poll.owners_only and not owns_product:
        return ApplicationError(
            _("Only members who bought the product can vote in this poll."),
            code="owners_only",
            status_code=403,
        )
    return None


def poll_choices_message(poll: Poll) -> str:
    """How many options a voter chooses, for the form and refusals."""
    if not poll.is_multiple:
        return _("Choose one option.")
    if poll.min_choices == poll.max_choices:
        return ngettext(
            "Choose %(count)d option.", "Choose %(count)d options.", poll.min_choices
        ) % {"count": poll.min_choices}
    return _("Choose from %(min)d to %(max)d options.") % {
        "min": poll.min_choices,
        "max": poll.max_choices,
    }


@transaction.atomic
def poll_vote(*, poll: Poll, voter, option_ids: list[int]) -> VoteResult:
    """Vote in `poll`, or replace the member's earlier vote. Refused with a
    message (nothing written) when the member is banned, the poll is not
    public or closed, an owners-only poll's member did not buy the product,
    an option is not the poll's, or the number of choices is outside the
    poll's limits."""
    member_can_vote_check(user=voter)
    poll = Poll.objects.select_for_update(no_key=True).get(pk=poll.pk)
    refusal = poll_vote_refusal(poll=poll, user=voter)
    if refusal is not None:
        raise refusal
    chosen = sorted({int(pk) for pk in option_ids})
    valid = set(PollOption.objects.filter(poll=poll, pk__in=chosen).values_list("pk", flat=True))
    if len(valid) != len(chosen):
        raise ApplicationError(_("Choose among this poll's options."), code="invalid_option")
    if not poll.min_choices <= len(chosen) <= poll.max_choices:
        raise ApplicationError(poll_choices_message(poll), code="choice_count")
    ballot = PollBallot.objects.filter(poll=poll, voter=voter).first()
    first_vote = ballot is None
    before: set[int] = set()
    if ballot is None:
        ballot = PollBallot.objects.create(poll=poll, voter=voter, choice_count=len(chosen))
        Poll.objects.filter(pk=poll.pk).update(voter_count=F("voter_count") + 1)
    else:
        before = set(ballot.votes.values_list("option_id", flat=True))
        if before == set(chosen):
            return VoteResult(poll=poll, option_ids=chosen, first_vote=False, changed=False)
        ballot.choice_count = len(chosen)
        ballot.save(update_fields=["choice_count", "updated_at"])
    removed, added = before - set(chosen), sorted(set(chosen) - before)
    if removed:
        PollVote.objects.filter(ballot=ballot, option_id__in=removed).delete()
        PollOption.objects.filter(pk__in=removed).update(vote_count=F("vote_count") - 1)
    if added:
        taken = set(PollVote.objects.filter(ballot=ballot).values_list("slot", flat=True))
        free = [n for n in range(1, poll.max_choices + 1) if n not in taken]
        PollVote.objects.bulk_create(
            [
                PollVote(
                    ballot=ballot,
                    poll=poll,
                    option_id=pk,
                    voter=voter,
                    slot=slot,
                    max_slots=poll.max_choices,
                )
                for pk, slot in zip(added, free[: len(added)], strict=True)
            ]
        )
        PollOption.objects.filter(pk__in=added).update(vote_count=F("vote_count") + 1)
    publish(
        PollVoted(
            poll_id=poll.pk,
            voter_id=voter.pk,
            option_ids=chosen,
            author_id=poll.author_id,
            first_vote=first_vote,
            product_id=poll.product_id,
        )
    )
    poll.refresh_from_db(fields=["voter_count"])
    _thread_page_changed(poll)
    return VoteResult(poll=poll, option_ids=chosen, first_vote=first_vote, changed=True)


# ------------------------------------------------------------------ closing
def poll_can_close(*, poll: Poll, user) -> bool:
    if user is None or not user.is_authenticated or poll.is_closed:
        return False
    if poll.status == ContentStatus.REMOVED and not is_moderator(user):
        return False
    return poll.author_id == user.pk or is_moderator(user)


@transaction.atomic
def poll_close(*, poll: Poll, actor) -> Poll:
    """Close the poll now: its author or a moderator."""
    poll = Poll.objects.select_for_update(no_key=True).get(pk=poll.pk)
    if not is_moderator(actor):
        if actor is None or poll.author_id != actor.pk:
            raise ApplicationError(
                _("Only the poll's author or a moderator can close it."),
                code="forbidden",
                status_code=403,
            )
        if poll.status == ContentStatus.REMOVED:
            raise ApplicationError(_("This was deleted."), code="removed", status_code=403)
    if poll.is_closed:
        raise ApplicationError(_("This poll is already closed."), code="closed", status_code=409)
    poll.closed_at = timezone.now()
    poll.closed_by = actor
    poll.save(update_fields=["closed_at", "closed_by", "updated_at"])
    _thread_page_changed(poll)
    return poll
