"""Reads of the points ledger."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

from django.db.models import F, Q, Sum

from loyalty.models import Award, BoardScore, Bucket, EntryKind, LedgerEntry, PointsAccount
from loyalty.selectors.leaderboards import BOARD_AREAS, OVERALL


@dataclass(frozen=True)
class Balance:
    available: int = 0
    pending: int = 0
    debt: int = 0


def balance_of(*, user_id: int) -> Balance:
    account = PointsAccount.objects.filter(user_id=user_id).first()
    if account is None:
        return Balance()
    return Balance(available=account.available, pending=account.pending, debt=account.debt)


def history_of(*, user_id: int):
    """A member's entries as they read them, newest first (paginate it):
    points becoming available show once, as a gain, not also as the pending
    bucket's matching loss (the ledger keeps both; the balance shows both)."""
    return (
        LedgerEntry.objects.filter(user_id=user_id)
        .exclude(kind=EntryKind.RELEASE, bucket=Bucket.PENDING)
        .order_by("-created_at", "-pk")
    )


@dataclass(frozen=True)
class Mismatch:
    """A cached figure that is not what the ledger adds up to."""

    what: str  # "account" or "award"
    key: str  # the member's id, or the award's id
    field: str
    cached: int
    ledger: int

    def __str__(self) -> str:
        return (
            f"{self.what} {self.key}: {self.field} is {self.cached}, the ledger says {self.ledger}"
        )


def _ledger_sums() -> dict[int, dict[str, int]]:
    sums: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    rows = LedgerEntry.objects.values("user_id", "bucket").annotate(total=Sum("points"))
    for row in rows.order_by():
        sums[row["user_id"]][row["bucket"]] = row["total"] or 0
    earned = (
        LedgerEntry.objects.filter(kind__in=[EntryKind.EARN, EntryKind.REVERSE])
        .values("user_id")
        .annotate(total=Sum("points"))
    )
    for row in earned.order_by():
        sums[row["user_id"]]["earned"] = row["total"] or 0
    return sums


def ledger_mismatches() -> Iterator[Mismatch]:
    """Every cached balance and award standing that disagrees with the sum of
    the ledger's entries (`manage.py reconcile`)."""
    sums = _ledger_sums()
    accounts = {a.user_id: a for a in PointsAccount.objects.all()}
    for user_id in sorted(set(sums) | set(accounts)):
        account = accounts.get(user_id)
        ledger = sums.get(user_id, {})
        expected = {
            "available": ledger.get(Bucket.AVAILABLE, 0),
            "pending": ledger.get(Bucket.PENDING, 0),
            "debt": -ledger.get(Bucket.DEBT, 0),
            "earned_total": ledger.get("earned", 0),
        }
        for name, value in expected.items():
            cached = getattr(account, name) if account is not None else 0
            if cached != value:
                yield Mismatch("account", str(user_id), name, cached, value)
    standing = Award.objects.annotate(
        ledger=Sum(
            "entries__points",
            filter=Q(entries__kind__in=[EntryKind.EARN, EntryKind.REVERSE]),
            default=0,
        )
    ).exclude(net=F("ledger"))
    for award in standing.order_by("pk"):
        yield Mismatch("award", str(award.pk), "net", award.net, award.ledger)
    yield from _board_score_mismatches()


def _board_score_mismatches() -> Iterator[Mismatch]:
    """The all-time leaderboard scores against the ledger (the weeks' and
    months' are the same sums over shorter spans)."""
    counted = LedgerEntry.objects.filter(kind__in=[EntryKind.EARN, EntryKind.REVERSE])
    ledger: dict[tuple[int, str], int] = {}
    for row in counted.values("user_id").annotate(total=Sum("points")).order_by():
        ledger[(row["user_id"], OVERALL)] = row["total"] or 0
    areas = [area for area in BOARD_AREAS if area != OVERALL]
    by_area = counted.filter(area__in=areas).values("user_id", "area").annotate(total=Sum("points"))
    for row in by_area.order_by():
        ledger[(row["user_id"], row["area"])] = row["total"] or 0
    kept = {
        (user_id, area): points
        for user_id, area, points in BoardScore.objects.filter(period="all").values_list(
            "user_id", "area", "points"
        )
    }
    for key in sorted(set(ledger) | set(kept)):
        if kept.get(key, 0) != ledger.get(key, 0):
            user_id, area = key
            yield Mismatch(
                "leaderboard", f"{user_id}/{area}", "points", kept.get(key, 0), ledger.get(key, 0)
            )
