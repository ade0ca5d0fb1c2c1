"""Thin Celery entry points of the loyalty program."""

from __future__ import annotations

from celery import shared_task

from loyalty.services.ledger import points_release_due


@shared_task(name="loyalty.tasks.release_due_points", acks_late=True)
def release_due_points() -> int:
    """Pending points whose date has come become available (hourly)."""
    return points_release_due()


@shared_task(name="loyalty.tasks.award_birthdays", acks_late=True)
def award_birthdays() -> int:
    """Today's birthdays (daily; each member once a year)."""
    from loyalty.services.occasions import birthdays_award

    return birthdays_award()


@shared_task(name="loyalty.tasks.award_daily_visit", acks_late=True)
def award_daily_visit(user_id: int, day: str) -> None:
    """A member's first signed-in request of `day` (ISO date)."""
    from datetime import date

    from loyalty.services.occasions import daily_visit_award

    daily_visit_award(user_id=user_id, day=date.fromisoformat(day))
