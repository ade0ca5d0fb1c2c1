"""Polls' reads: the list, and each poll's state for one member (what they
chose, whether they may vote, whether they see the results, and the voters'
names of a public poll), built for a whole page at once: one query for the
member's votes, one for purchases when a poll is for owners only, one for
the voters' names, whatever the number of polls."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta

from django.core.paginator import Page, Paginator
from django.db.models import BooleanField, Case, Prefetch, Q, QuerySet, Subquery, Value, When
from django.db.models.expressions import Window
from django.db.models.functions import RowNumber
from django.utils import timezone
from django.utils.translation import gettext as _

from community.models import CommunitySettings, ContentStatus, Poll, PollOption, PollVote
from community.permissions import is_moderator
from community.selectors.members import Author, authors_for
from shop import selectors as shop_selectors

PAGE_SIZE = 20
VOTERS_SHOWN = 12  # names per option of a public poll; the rest are counted


def sees_all_results(user) -> bool:
    """Staff and moderators see every poll's results at any time."""
    return bool(user is not None and user.is_authenticated and user.is_staff) or is_moderator(user)


def results_visible(*, poll: Poll, user, has_voted: bool, now=None) -> bool:
    if sees_all_results(user):
        return True
    closed = poll.is_closed_at(now)
    rule = poll.results
    if rule == Poll.Results.ALWAYS:
        return True
    if rule == Poll.Results.ON_VOTE:
        return has_voted or closed
    if rule == Poll.Results.ON_CLOSE:
        return closed
    return False  # staff only


def results_hidden_message(poll: Poll) -> str:
    if poll.results == Poll.Results.STAFF_ONLY:
        return _("Results are visible to staff.")
    if poll.results == Poll.Results.ON_VOTE:
        return _("Vote to see the results.")
    return _("Results will be shown when the poll closes.")


def _options_prefetch() -> Prefetch:
    return Prefetch(
        "options",
        queryset=PollOption.objects.select_related("product").order_by("position", "pk"),
    )


def poll_queryset() -> QuerySet[Poll]:
    return Poll.objects.select_related("author", "product").prefetch_related(_options_prefetch())


def poll_visible_queryset(*, user) -> QuerySet[Poll]:
    """Published polls, and the member's own polls still waiting for
    approval (shown to them with a notice)."""
    visible = Q(status=ContentStatus.PUBLISHED)
    if user is not None and user.is_authenticated:
        visible |= Q(status=ContentStatus.PENDING, author_id=user.pk)
    return poll_queryset().filter(visible)


def poll_list(*, user, now=None) -> QuerySet[Poll]:
    """Open polls first (newest first), then closed ones."""
    now = now or timezone.now()
    return (
        poll_visible_queryset(user=user)
        .annotate(
            open_now=Case(
                When(
                    Q(closed_at__isnull=True) & (Q(close_at__isnull=True) | Q(close_at__gt=now)),
                    then=Value(True),
                ),
                default=Value(False),
                output_field=BooleanField(),
            )
        )
        .order_by("-open_now", "-created_at", "-pk")
    )


def poll_page(*, user, page: str | int | None) -> Page:
    return Paginator(poll_list(user=user), PAGE_SIZE).get_page(page)


def poll_get(*, poll_id: int, user) -> Poll | None:
    """The poll when `user` may see it (kernel's viewable_by), else None.
    It carries the community's edit window (`edit_window_minutes`, read in
    the same query) so its page tells its author whether they may still
    edit it without asking the database again."""
    window = CommunitySettings.objects.filter(pk=1).values("edit_window_minutes")[:1]
    poll = poll_queryset().annotate(edit_window_minutes=Subquery(window)).filter(pk=poll_id).first()
    if poll is None or not poll.viewable_by(user):
        return None
    return poll


@dataclass
class OptionResult:
    option: PollOption
    votes: int
    percent: int
    chosen: bool
    voters: list[Author] = field(default_factory=list)
    more_voters: int = 0


@dataclass
class PollState:
    """What one member sees of one poll."""

    poll: Poll
    is_closed: bool
    chosen_ids: set[int]
    has_voted: bool
    can_vote: bool
    vote_refusal: str
    show_results: bool
    hidden_message: str
    can_close: bool
    options: list[OptionResult]
    voter_count: int
    choices_hint: str
    # Only for a poll from poll_get() (its own page); False elsewhere.
    can_edit: bool = False


def _can_edit(poll: Poll, user, *, moderator: bool, now) -> bool:
    """content_can_edit's rule, with the window poll_get() read."""
    if not hasattr(poll, "edit_window_minutes") or user is None or not user.is_authenticated:
        return False
    if moderator:
        return True
    if poll.author_id != user.pk or poll.status == ContentStatus.REMOVED:
        return False
    minutes = poll.edit_window_minutes
    if minutes is None:  # no settings row yet: the default
        minutes = CommunitySettings._meta.get_field("edit_window_minutes").default
    return not minutes or now - poll.created_at <= timedelta(minutes=minutes)


def poll_states(
    *, polls: Iterable[Poll], user, with_voters: bool = True, now=None
) -> dict[int, PollState]:
    """Each poll's state for `user` ({poll id: PollState}); the polls come
    from poll_queryset() (options prefetched)."""
    from community.services.polls import (
        poll_can_close,
        poll_choices_message,
        poll_vote_refusal,
    )

    polls = list(polls)
    now = now or timezone.now()
    member = user is not None and user.is_authenticated
    chosen: dict[int, set[int]] = {}
    if member and polls:
        for poll_id, option_id in PollVote.objects.filter(
            voter_id=user.pk, poll_id__in=[p.pk for p in polls]
        ).values_list("poll_id", "option_id"):
            chosen.setdefault(poll_id, set()).add(option_id)
    owned: set[int] = set()
    owners_products = {p.product_id for p in polls if p.owners_only and p.product_id}
    if member and owners_products:
        owned = {
            product
            for (_user, product) in shop_selectors.purchased_pairs(
                user_ids=[user.pk], product_ids=owners_products
            )
        }
    moderator = member and is_moderator(user)
    banned = ""
    if member and polls:
        from community.services.members import member_can_vote_check
        from core.exceptions import ApplicationError

        try:
            member_can_vote_check(user=user)
        except ApplicationError as error:
            banned = error.message
    states: dict[int, PollState] = {}
    for poll in polls:
        mine = chosen.get(poll.pk, set())
        has_voted = bool(mine)
        show = results_visible(poll=poll, user=user, has_voted=has_voted, now=now)
        refusal = ""
        if not member:
            refusal = _("Sign in to vote.")
        elif banned:
            refusal = banned
        else:
            error = poll_vote_refusal(
                poll=poll, user=user, now=now, owns_product=poll.product_id in owned
            )
            refusal = error.message if error is not None else ""
        total = max(poll.voter_count, 0)
        options = [
            OptionResult(
                option=option,
                votes=option.vote_count if show else 0,
                percent=round(100 * option.vote_count / total) if show and total else 0,
                chosen=option.pk in mine,
            )
            for option in poll.options.all()
        ]
        states[poll.pk] = PollState(
            poll=poll,
            is_closed=poll.is_closed_at(now),
            chosen_ids=mine,
            has_voted=has_voted,
            can_vote=not refusal,
            vote_refusal=refusal,
            show_results=show,
            hidden_message="" if show else results_hidden_message(poll),
            can_close=poll_can_close(poll=poll, user=user),
            options=options,
            voter_count=poll.voter_count,
            choices_hint=poll_choices_message(poll),
            can_edit=_can_edit(poll, user, moderator=moderator, now=now),
        )
    if with_voters:
        _attach_voters([s for s in states.values() if s.poll.public_voters and s.show_results])
    return states


def _attach_voters(states: list[PollState]) -> None:
    """The first names per option of public polls: one query for the votes
    (numbered per option in the database), one for the author lines."""
    if not states:
        return
    rows = list(
        PollVote.objects.filter(poll_id__in=[s.poll.pk for s in states])
        .annotate(
            row=Window(RowNumber(), partition_by=["option_id"], order_by=["-created_at", "-pk"])
        )
        .filter(row__lte=VOTERS_SHOWN)
        .select_related("voter")
        .order_by("option_id", "row")
    )
    authors = authors_for(users=[r.voter for r in rows])
    by_option: dict[int, list[Author]] = {}
    for vote in rows:
        by_option.setdefault(vote.option_id, []).append(authors[vote.voter_id])
    for state in states:
        for result in state.options:
            result.voters = by_option.get(result.option.pk, [])
            result.more_voters = max(result.option.vote_count - len(result.voters), 0)


def poll_authors(*, polls: Iterable[Poll]) -> dict[int, Author]:
    polls = list(polls)
    return authors_for(
        users=[p.author for p in polls], product_ids=[p.product_id for p in polls if p.product_id]
    )


def product_id_for_slug(*, slug: str) -> int | None:
    return product_ids_for_slugs(slugs={slug}).get(slug)


def product_ids_for_slugs(*, slugs: Iterable[str]) -> dict[str, int]:
    """{slug: id} of the published products among `slugs` (one query)."""
    from shop.models import Product

    slugs = set(slugs)
    if not slugs:
        return {}
    return dict(Product.objects.filter(slug__in=slugs, is_published=True).values_list("slug", "pk"))
