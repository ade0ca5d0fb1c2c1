"""Writes to the points ledger. Every change of a member's points goes
through here, under the member's account row lock, and writes entries and
the cached balances in one transaction (loyalty/models/ledger.py explains the
buckets and awards)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.bulk import rows_update
from core.exceptions import ApplicationError
from loyalty.balance_cache import balance_changed, balances_changed
from loyalty.models import (
    Area,
    Award,
    Bucket,
    DeliveredOrder,
    EntryKind,
    LedgerEntry,
    PointsAccount,
    ProgramSettings,
)
from loyalty.services.board_scores import board_scores_move

NOTE_MAX = 500

# Parts of the program that follow awards (badges, tiers, challenges,
# leaderboards) register here: fn(changes) is called with a list of
# AwardChange inside the transaction that changed those awards' standing
# (each by a `delta`, never 0), holding the members' account locks, so what
# it writes commits or rolls back with the entries. One call may carry many
# members' changes (a batch of events): read and write once for all of them.
# Use transaction.on_commit for anything outside the database.
_award_listeners: list = []


@dataclass(frozen=True)
class AwardChange:
    award: Award
    delta: int
    account: PointsAccount


def award_listener(fn):
    """Register `fn` to follow every change of an award's standing (decorator)."""
    if fn not in _award_listeners:
        _award_listeners.append(fn)
    return fn


def _tell_listeners(changes: list[AwardChange]) -> None:
    if changes:
        for listener in _award_listeners:
            listener(changes)


def return_window() -> timedelta:
    """How long purchase points stay pending after the order is delivered."""
    return timedelta(days=ProgramSettings.current().return_window_days)


def account_lock(*, user_id: int) -> PointsAccount:
    """The member's account, created if need be, locked until the end of the
    caller's transaction (call inside `transaction.atomic`)."""
    PointsAccount.objects.bulk_create([PointsAccount(user_id=user_id)], ignore_conflicts=True)
    return PointsAccount.objects.select_for_update().get(user_id=user_id)


def accounts_lock(*, user_ids: Iterable[int]) -> dict[int, PointsAccount]:
    """`account_lock` for many members at once ({user_id: account}), in
    member order, so two batches locking overlapping members wait for each
    other instead of deadlocking."""
    ids = sorted(set(user_ids))
    if not ids:
        return {}
    PointsAccount.objects.bulk_create(
        [PointsAccount(user_id=user_id) for user_id in ids], ignore_conflicts=True
    )
    return {
        account.user_id: account
        for account in PointsAccount.objects.select_for_update()
        .filter(user_id__in=ids)
        .order_by("user_id")
    }


@dataclass
class _Posting:
    """Entries for one locked account, written together by `save()`."""

    account: PointsAccount
    rule: str = ""
    area: str = ""
    subject: str = ""
    award: Award | None = None
    source_event_id: uuid.UUID | None = None
    note: str = ""
    actor_id: int | None = None
    entries: list[LedgerEntry] = field(default_factory=list)

    def add(self, *, kind: str, bucket: str, points: int) -> None:
        if points == 0:
            return
        account = self.account
        if bucket == Bucket.AVAILABLE:
            account.available += points
        elif bucket == Bucket.PENDING:
            account.pending += points
        else:
            account.debt -= points
        if kind in (EntryKind.EARN, EntryKind.REVERSE):
            account.earned_total += points
        self.entries.append(
            LedgerEntry(
                user_id=account.user_id,
                kind=kind,
                bucket=bucket,
                points=points,
                rule=self.rule,
                area=self.area,
                subject=self.subject,
                award=self.award,
                source_event_id=self.source_event_id,
                note=self.note[:NOTE_MAX],
                actor_id=self.actor_id,
            )
        )

    def credit(self, *, kind: str, points: int) -> None:
        """Points into available; whatever is owed is repaid from them first."""
        self.add(kind=kind, bucket=Bucket.AVAILABLE, points=points)
        repay = min(points, self.account.debt)
        if repay > 0:
            self.add(kind=EntryKind.REPAY, bucket=Bucket.AVAILABLE, points=-repay)
            self.add(kind=EntryKind.REPAY, bucket=Bucket.DEBT, points=repay)

    def take_back(self, *, points: int, pending_first: int = 0) -> None:
        """Reverse `points`: from the award's pending points first, then from
        available; what available cannot cover becomes a debt."""
        from_pending = min(points, pending_first)
        from_available = min(points - from_pending, self.account.available)
        owed = points - from_pending - from_available
        self.add(kind=EntryKind.REVERSE, bucket=Bucket.PENDING, points=-from_pending)
        self.add(kind=EntryKind.REVERSE, bucket=Bucket.AVAILABLE, points=-from_available)
        self.add(kind=EntryKind.REVERSE, bucket=Bucket.DEBT, points=-owed)

    def save(self, *, activity: bool = False) -> list[LedgerEntry]:
        if not self.entries:
            return []
        LedgerEntry.objects.bulk_create(self.entries)
        board_scores_move(self.entries)
        fields = ["available", "pending", "debt", "earned_total", "updated_at"]
        if activity:
            self.account.last_activity_at = timezone.now()
            fields.append("last_activity_at")
        self.account.save(update_fields=fields)
        balance_changed(user_id=self.account.user_id)
        return self.entries


def _pending_part(award: Award) -> int:
    return award.net if award.pending and award.released_at is None else 0


def _posting_for(
    *,
    account: PointsAccount,
    award: Award,
    target: int,
    source_event_id: uuid.UUID | None,
    note: str,
) -> tuple[_Posting | None, int]:
    """The entries that move the award's standing points to `target`
    (0..award.points), and the delta; sets `award.net` (not saved)."""
    target = max(0, min(target, award.points))
    delta = target - award.net
    if delta == 0:
        return None, 0
    posting = _Posting(
        account=account,
        rule=award.rule,
        area=award.area,
        subject=award.subject,
        award=award,
        source_event_id=source_event_id,
        note=note,
    )
    if delta > 0:
        if award.pending and award.released_at is None:
            posting.add(kind=EntryKind.EARN, bucket=Bucket.PENDING, points=delta)
        else:
            posting.credit(kind=EntryKind.EARN, points=delta)
    else:
        posting.take_back(points=-delta, pending_first=_pending_part(award))
    award.net = target
    return posting, delta


def _settle(
    *,
    account: PointsAccount,
    award: Award,
    target: int,
    source_event_id: uuid.UUID | None,
    note: str,
) -> list[LedgerEntry]:
    """Move the award's standing points to `target` (0..award.points)."""
    posting, delta = _posting_for(
        account=account, award=award, target=target, source_event_id=source_event_id, note=note
    )
    if posting is None:
        return []
    award.save(update_fields=["net", "updated_at"])
    entries = posting.save(activity=delta > 0)
    _tell_listeners([AwardChange(award=award, delta=delta, account=account)])
    return entries


@dataclass(frozen=True, kw_only=True)
class Grant:
    """One award wanted (see `points_award`)."""

    user_id: int
    rule: str
    subject: str
    points: int
    area: str = Area.OTHER
    source_event_id: uuid.UUID | None = None
    occurred_at: datetime | None = None
    pending: bool = False
    hold_order_id: int | None = None
    available_at: datetime | None = None
    note: str = ""

    @property
    def key(self) -> tuple[int, str, str]:
        return (self.user_id, self.rule, self.subject)


def awards_existing(keys: Iterable[tuple[int, str, str]]) -> dict[tuple[int, str, str], Award]:
    """The awards already made for these (member, rule, subject), in one query."""
    keys = set(keys)
    if not keys:
        return {}
    found = Award.objects.filter(
        user_id__in={k[0] for k in keys},
        rule__in={k[1] for k in keys},
        subject__in={k[2] for k in keys},
    )
    return {
        (award.user_id, award.rule, award.subject): award
        for award in found
        if (award.user_id, award.rule, award.subject) in keys
    }


@transaction.atomic
def points_award(
    *,
    user_id: int,
    rule: str,
    subject: str,
    points: int,
    area: str = Area.OTHER,
    source_event_id: uuid.UUID | None = None,
    occurred_at: datetime | None = None,
    pending: bool = False,
    hold_order_id: int | None = None,
    available_at: datetime | None = None,
    note: str = "",
) -> Award | None:
    """Award `points` to the member for `subject` under `rule`, once: a second
    call for the same (member, rule, subject) changes nothing, unless the
    award was taken back by an event older than this one (then it stands
    again). Pending points wait for `available_at`, or, when `hold_order_id`
    is given, for that order's delivery plus the return window.

    The caller has applied the rule's caps; `points` <= 0 awards nothing."""
    grant = Grant(
        user_id=user_id,
        rule=rule,
        subject=subject,
        points=points,
        area=area,
        source_event_id=source_event_id,
        occurred_at=occurred_at,
        pending=pending,
        hold_order_id=hold_order_id,
        available_at=available_at,
        note=note,
    )
    return points_award_many([grant])[0]


def points_award_many(
    grants: list[Grant],
    *,
    accounts: dict[int, PointsAccount] | None = None,
    existing: dict[tuple[int, str, str], Award] | None = None,
) -> list[Award | None]:
    """`points_award` for many grants in one transaction, in order (a grant
    for an award made earlier in the list changes nothing): the accounts are
    locked once, in member order, and the awards, the entries, the board
    scores and the balances are written with one statement each, whatever
    the number of grants. Returns each grant's award (None for no points).

    `accounts` (locked by the caller) and `existing` (`awards_existing` of
    the grants, read under those locks) save reading them again."""
    results: list[Award | None] = [None] * len(grants)
    live = [(index, grant) for index, grant in enumerate(grants) if grant.points > 0]
    if not live:
        return results
    with transaction.atomic():
        if accounts is None:
            accounts = accounts_lock(user_ids=[grant.user_id for _i, grant in live])
        if existing is None:
            existing = awards_existing(grant.key for _i, grant in live)
        else:
            existing = dict(existing)
        holds = {
            grant.hold_order_id
            for _i, grant in live
            if grant.hold_order_id is not None and grant.available_at is None
        }
        delivered = (
            dict(
                DeliveredOrder.objects.filter(order_id__in=holds).values_list(
                    "order_id", "delivered_at"
                )
            )
            if holds
            else {}
        )
        window = return_window() if delivered else None
        created: list[Award] = []
        stood_again: list[Award] = []
        postings: list[tuple[_Posting, int]] = []
        for index, grant in live:
            award = existing.get(grant.key)
            if award is None:
                available_at = grant.available_at
                if available_at is None and grant.hold_order_id in delivered:
                    available_at = delivered[grant.hold_order_id] + window
                award = Award(
                    user_id=grant.user_id,
                    rule=grant.rule,
                    subject=grant.subject,
                    area=grant.area,
                    points=grant.points,
                    net=0,
                    pending=grant.pending,
                    hold_order_id=grant.hold_order_id,
                    available_at=available_at,
                    source_event_id=grant.source_event_id,
                    standing_at=grant.occurred_at,
                )
                existing[grant.key] = award
                created.append(award)
            elif _newer(award, grant.occurred_at):
                award.standing_at = grant.occurred_at
                award.withdrawn = False
                stood_again.append(award)
            else:
                results[index] = award
                continue
            results[index] = award
            posting, delta = _posting_for(
                account=accounts[grant.user_id],
                award=award,
                target=award.points,
                source_event_id=grant.source_event_id,
                note=grant.note,
            )
            if posting is not None:
                postings.append((posting, delta))
        Award.objects.bulk_create(created)
        for award in stood_again:
            award.save(update_fields=["standing_at", "net", "withdrawn", "updated_at"])
        _postings_save(postings)
    return results


def _postings_save(postings: list[tuple[_Posting, int]]) -> None:
    """Write many postings' entries, board scores and accounts with one
    statement each, then tell the listeners."""
    if not postings:
        return
    entries = [entry for posting, _delta in postings for entry in posting.entries]
    LedgerEntry.objects.bulk_create(entries)
    board_scores_move(entries)
    now = timezone.now()
    touched: dict[int, PointsAccount] = {}
    for posting, delta in postings:
        account = posting.account
        touched[account.user_id] = account
        account.updated_at = now
        if delta > 0:
            account.last_activity_at = now
    rows_update(
        list(touched.values()),
        ["available", "pending", "debt", "earned_total", "updated_at", "last_activity_at"],
    )
    balances_changed(user_ids=touched)
    _tell_listeners(
        [
            AwardChange(award=posting.award, delta=delta, account=posting.account)
            for posting, delta in postings
        ]
    )


def _newer(award: Award, occurred_at: datetime | None) -> bool:
    return occurred_at is not None and (
        award.standing_at is None or occurred_at > award.standing_at
    )


@transaction.atomic
def award_standing(
    *,
    user_id: int,
    rule: str,
    subject: str,
    share: float | int,
    source_event_id: uuid.UUID | None = None,
    occurred_at: datetime | None = None,
    note: str = "",
    withdrawn: bool | None = None,
) -> Award | None:
    """Set how much of an award stands: 0 when its content was removed or its
    order cancelled, 1 when restored, a refund's remaining share of an order.
    Writes only the difference, once; an event older than the one that last
    set the award's standing changes nothing (events may arrive out of order).
    `withdrawn`: set (True) or clear (False) the award's withdrawn mark along
    with this standing (see Award.withdrawn). Returns None when the member
    has no such award."""
    account = account_lock(user_id=user_id)
    award = (
        Award.objects.select_for_update()
        .filter(user_id=user_id, rule=rule, subject=subject)
        .first()
    )
    if award is None:
        return None
    if occurred_at is not None:
        if award.standing_at is not None and occurred_at <= award.standing_at:
            return award
        award.standing_at = occurred_at
    if withdrawn is not None:
        award.withdrawn = withdrawn
    if occurred_at is not None or withdrawn is not None:
        award.save(update_fields=["standing_at", "withdrawn", "updated_at"])
    target = int(award.points * share)  # a share of points rounds down
    _settle(account=account, award=award, target=target, source_event_id=source_event_id, note=note)
    return award


def subject_standing(
    *,
    subject: str,
    share: float | int,
    source_event_id: uuid.UUID | None = None,
    occurred_at: datetime | None = None,
    rules: set[str] | None = None,
    note: str = "",
) -> list[Award]:
    """`award_standing` for every award made for `subject` (the review's
    own points and its photo bonus, a contribution's later sales...)."""
    awards = Award.objects.filter(subject=subject)
    if share > 0:
        # Restoring the content restores what its removal took, not what the
        # rule's own events withdrew (an answer no longer accepted).
        awards = awards.filter(withdrawn=False)
    if rules is not None:
        awards = awards.filter(rule__in=rules)
    settled = []
    for user_id, rule in awards.values_list("user_id", "rule").order_by("user_id", "rule"):
        award = award_standing(
            user_id=user_id,
            rule=rule,
            subject=subject,
            share=share,
            source_event_id=source_event_id,
            occurred_at=occurred_at,
            note=note,
        )
        if award is not None:
            settled.append(award)
    return settled


@transaction.atomic
def order_delivered(*, order_id: int, delivered_at: datetime, user_id: int | None = None) -> int:
    """The pending awards held by this order become due a return window after
    its delivery (also those awarded later). Returns how many were scheduled."""
    DeliveredOrder.objects.get_or_create(
        order_id=order_id, defaults={"delivered_at": delivered_at, "user_id": user_id}
    )
    return Award.objects.filter(
        hold_order_id=order_id, pending=True, released_at__isnull=True
    ).update(available_at=delivered_at + return_window(), updated_at=timezone.now())


def points_release_due(
    *, now: datetime | None = None, limit: int = 500, user_ids: Iterable[int] | None = None
) -> int:
    """Make due pending awards available (a beat task). One transaction per
    member, so a long run never holds many locks; returns how many awards
    were released. `user_ids`: only these members' awards (the demo data)."""
    now = now or timezone.now()
    due = Award.objects.filter(pending=True, released_at__isnull=True, available_at__lte=now)
    if user_ids is not None:
        due = due.filter(user_id__in=list(user_ids))
    due = list(due.order_by("available_at", "pk").values_list("pk", "user_id")[:limit])
    released = 0
    for award_id, user_id in due:
        with transaction.atomic():
            account = account_lock(user_id=user_id)
            award = Award.objects.select_for_update().get(pk=award_id)
            if award.released_at is not None or not award.pending:
                continue
            posting = _Posting(
                account=account,
                rule=award.rule,
                area=award.area,
                subject=award.subject,
                award=award,
                note=_("The return window has passed."),
            )
            if award.net > 0:
                posting.add(kind=EntryKind.RELEASE, bucket=Bucket.PENDING, points=-award.net)
                posting.credit(kind=EntryKind.RELEASE, points=award.net)
            award.released_at = now
            award.save(update_fields=["released_at", "updated_at"])
            posting.save()
            released += 1
    return released


def _insufficient(available: int, wanted: int) -> ApplicationError:
    return ApplicationError(
        _("Not enough points: you have %(available)s and this needs %(wanted)s.")
        % {"available": available, "wanted": wanted},
        code="insufficient_points",
        extra={"available": available, "wanted": wanted},
    )


@transaction.atomic
def points_redeem(
    *,
    user_id: int,
    points: int,
    subject: str,
    rule: str = "redeem",
    kind: str = EntryKind.REDEEM,
    note: str = "",
) -> LedgerEntry:
    """Spend `points` of the member's available points (checkout, a reward,
    a bounty's escrow). Refused with a clear message when they do not have
    them; concurrent spends are serialised by the account lock."""
    if points <= 0:
        raise ApplicationError(_("Choose a number of points above zero."), code="invalid_points")
    account = account_lock(user_id=user_id)
    if account.available < points:
        raise _insufficient(account.available, points)
    posting = _Posting(account=account, rule=rule, subject=subject, note=note)
    posting.add(kind=kind, bucket=Bucket.AVAILABLE, points=-points)
    return posting.save(activity=True)[0]


@transaction.atomic
def points_give_back(
    *, user_id: int, points: int, subject: str, rule: str = "redeem", note: str = ""
) -> list[LedgerEntry]:
    """Return spent points (a cancelled order, a refunded escrow)."""
    if points <= 0:
        return []
    posting = _Posting(account=account_lock(user_id=user_id), rule=rule, subject=subject, note=note)
    posting.credit(kind=EntryKind.REFUND, points=points)
    return posting.save()


@transaction.atomic
def points_bounty_pay(
    *, user_id: int, points: int, subject: str, note: str = ""
) -> list[LedgerEntry]:
    """Credit a bounty's escrowed points to the member whose answer won it
    (kind BOUNTY). The points come from another member, not the program, so
    they count towards no tier, badge, challenge or leaderboard: two members
    passing a bounty back and forth gain nothing there."""
    if points <= 0:
        return []
    posting = _Posting(
        account=account_lock(user_id=user_id),
        rule="bounty",
        area=Area.ANSWERS,
        subject=subject,
        note=note,
    )
    posting.credit(kind=EntryKind.BOUNTY, points=points)
    return posting.save(activity=True)


@transaction.atomic
def points_adjust(*, user_id: int, points: int, reason: str, actor) -> list[LedgerEntry]:
    """A staff correction: a compensating entry with the reason, never an edit.
    Taking more than the member has available is refused."""
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(_("Give a reason for the adjustment."), code="reason_required")
    if points == 0:
        raise ApplicationError(_("Choose a number of points other than zero."), code="zero")
    account = account_lock(user_id=user_id)
    posting = _Posting(account=account, rule="adjust", note=reason, actor_id=actor.pk)
    if points > 0:
        posting.credit(kind=EntryKind.ADJUST, points=points)
    else:
        if account.available < -points:
            raise _insufficient(account.available, -points)
        posting.add(kind=EntryKind.ADJUST, bucket=Bucket.AVAILABLE, points=points)
    return posting.save()


@transaction.atomic
def points_expire(*, user_id: int, note: str = "") -> int:
    """Expire every available point of the member (no activity for too long).
    Returns how many expired."""
    account = account_lock(user_id=user_id)
    points = account.available
    if points <= 0:
        return 0
    posting = _Posting(account=account, rule="expiry", note=note)
    posting.add(kind=EntryKind.EXPIRE, bucket=Bucket.AVAILABLE, points=-points)
    posting.save()
    return points
