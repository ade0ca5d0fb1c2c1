"""Thin Celery entry points for the rewards program (services do the work)."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.utils import timezone

from loyalty.services import badges
from loyalty.services.board_scores import board_scores_prune
from loyalty.services.bounties import bounties_settle_due
from loyalty.services.early_access import early_access_notify_due
from loyalty.services.expiry import expiry_reminders_send, points_expire_due
from loyalty.services.leaderboards import leaderboards_rebuild
from loyalty.services.ledger import points_release_due
from loyalty.services.occasions import birthdays_award, daily_visit_award
from loyalty.services.tiers import tiers_expire


@shared_task(acks_late=True, ignore_result=True)
def rebuild_leaderboards() -> int:
    """Beat: the current leaderboards rebuilt in Redis from the ledger."""
    return leaderboards_rebuild()


@shared_task(acks_late=True, ignore_result=True)
def prune_board_scores() -> int:
    """Beat (daily): old weeks' and months' scores dropped from the database."""
    return board_scores_prune()


@shared_task(acks_late=True, ignore_result=True)
def expire_tiers() -> int:
    """Beat (daily): tiers whose keep ran out recomputed."""
    return tiers_expire()


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=240, time_limit=300)
def give_member_days_badges() -> int:
    return badges.member_days_badges_give()


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=240, time_limit=300)
def give_leaderboard_badges(month: str | None = None) -> int:
    """Last month's places (or `month`, "YYYY-MM"); runs early each month."""
    if month:
        first = dt.date.fromisoformat(f"{month}-01")
    else:
        first = (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    return badges.leaderboard_badges_give(month=first)


@shared_task(name="loyalty.tasks.release_due_points", acks_late=True, ignore_result=True)
def release_due_points() -> int:
    """Pending points whose date has come become available (hourly)."""
    return points_release_due()


@shared_task(name="loyalty.tasks.award_birthdays", acks_late=True, ignore_result=True)
def award_birthdays() -> int:
    """Today's birthdays (hourly; each member once a year)."""
    return birthdays_award()


@shared_task(name="loyalty.tasks.award_daily_visit", acks_late=True, ignore_result=True)
def award_daily_visit(user_id: int, day: str) -> None:
    """A member's first signed-in request of `day` (ISO date)."""
    daily_visit_award(user_id=user_id, day=dt.date.fromisoformat(day))


@shared_task(acks_late=True, ignore_result=True)
def notify_early_access() -> int:
    """Beat: tell members a drop opened to them, once per member and drop."""
    return early_access_notify_due()


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=240, time_limit=300)
def remind_expiring_points() -> int:
    """Beat (daily): members whose points expire soon are told, once per idle spell."""
    try:
        return expiry_reminders_send()
    except SoftTimeLimitExceeded:
        # The running batch rolled back; another run goes on from there.
        remind_expiring_points.delay()
        return 0


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=240, time_limit=300)
def expire_points() -> int:
    """Beat (daily): idle members' available points expire (once, however many run)."""
    try:
        return points_expire_due()
    except SoftTimeLimitExceeded:
        expire_points.delay()
        return 0


@shared_task(name="loyalty.tasks.settle_due_bounties", acks_late=True, ignore_result=True)
def settle_due_bounties() -> int:
    """Beat (every 10 minutes): bounties past their deadline are paid to the
    top-voted answer, or refunded."""
    return bounties_settle_due()
