"""Points expiry: the daily reminder and expiry runs (loyalty.tasks).
loyalty.selectors.expiry holds the rule; this module applies it.

Each run takes the due accounts in batches of BATCH_SIZE, one transaction a
batch. A batch locks its accounts (SKIP LOCKED: an account another run, or a
ledger write, holds is left for the next run, so two runs never wait on each
other or deadlock with a write that locks several accounts) and checks each
again under the lock. So a run done twice, or two at once, reminds and
expires once, and a member whose earning or spending committed after the
batch was selected keeps their points."""

from __future__ import annotations

from datetime import datetime

import structlog
from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext

from loyalty.models import PointsAccount, ProgramSettings
from loyalty.notifications import notify_points_expiring
from loyalty.selectors.expiry import (
    ExpiryTerms,
    expiry_at,
    expiry_candidates,
    expiry_due,
    idle_since,
    reminder_candidates,
    reminder_due,
)
from loyalty.services.ledger import points_expire

logger = structlog.get_logger(__name__)

BATCH_SIZE = 200


def _locked(user_ids: list[int]) -> list[PointsAccount]:
    """The accounts among `user_ids` no other transaction holds, locked until
    the end of the caller's transaction; staff are left out."""
    return list(
        PointsAccount.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(user_id__in=user_ids, user__is_staff=False)
        .order_by("user_id")
    )


def _batches(candidates, batch_size: int):
    """Ids of the candidate accounts, `batch_size` at a time, in id order
    (each batch selected afresh, after the previous one committed)."""
    after = 0
    while True:
        ids = list(
            candidates.filter(user_id__gt=after)
            .order_by("user_id")
            .values_list("user_id", flat=True)[:batch_size]
        )
        if not ids:
            return
        yield ids
        after = ids[-1]


def expiry_reminders_batch(*, user_ids: list[int], terms: ExpiryTerms, now: datetime) -> int:
    """Remind each of these members still due a reminder (checked under the
    account lock); returns how many were reminded."""
    reminded = 0
    with transaction.atomic():
        for account in _locked(user_ids):
            if not reminder_due(account=account, terms=terms, now=now):
                continue
            account.expiry_reminded_at = now
            moment = expiry_at(account=account, terms=terms, now=now)
            # Recorded even when the member gets no notification (an
            # inactive account): the notice period runs from here.
            account.save(update_fields=["expiry_reminded_at"])
            notify_points_expiring(
                user_id=account.user_id,
                points=account.available,
                on=timezone.localdate(moment),
                idle_since=idle_since(account),
                reminded_at=now,
            )
            reminded += 1
    return reminded


def expiry_reminders_send(*, now: datetime | None = None, batch_size: int = BATCH_SIZE) -> int:
    """The daily reminder run: every member whose points expire within the
    program's reminder days hears of it once per idle spell. Returns how
    many were reminded."""
    now = now or timezone.now()
    terms = ExpiryTerms.of(ProgramSettings.current())
    total = 0
    for user_ids in _batches(reminder_candidates(terms=terms, now=now), batch_size):
        total += expiry_reminders_batch(user_ids=user_ids, terms=terms, now=now)
    if total:
        logger.info("points_expiry_reminders_sent", members=total)
    return total


def points_expire_batch(*, user_ids: list[int], terms: ExpiryTerms, now: datetime) -> int:
    """Expire the available points of each of these members still due
    (checked under the account lock: an activity committed since the batch
    was selected keeps them). Returns how many members' points expired."""
    expired = 0
    with transaction.atomic():
        for account in _locked(user_ids):
            if not expiry_due(account=account, terms=terms, now=now):
                continue
            since = formats.date_format(timezone.localtime(idle_since(account)), "DATE_FORMAT")
            note = gettext("No points earned or spent since %(date)s.") % {"date": since}
            if points_expire(user_id=account.user_id, note=note):
                expired += 1
            # Points that come later without activity (a refund, a staff
            # adjustment) get a reminder of their own before they expire.
            account.expiry_reminded_at = None
            account.save(update_fields=["expiry_reminded_at"])
    return expired


def points_expire_due(*, now: datetime | None = None, batch_size: int = BATCH_SIZE) -> int:
    """The daily expiry run: members idle for the program's expiry months
    lose their available points (a ledger entry each). Returns how many
    members' points expired."""
    now = now or timezone.now()
    terms = ExpiryTerms.of(ProgramSettings.current())
    total = 0
    for user_ids in _batches(expiry_candidates(terms=terms, now=now), batch_size):
        total += points_expire_batch(user_ids=user_ids, terms=terms, now=now)
    if total:
        logger.info("points_expired", members=total)
    return total
