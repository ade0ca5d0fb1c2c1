"""Thin Celery entry points for loyalty (services do the work)."""

from __future__ import annotations

from celery import shared_task

from loyalty.services.leaderboards import leaderboards_rebuild
from loyalty.services.tiers import tiers_expire


@shared_task(acks_late=True, ignore_result=True)
def rebuild_leaderboards() -> int:
    """Beat: the current leaderboards rebuilt in Redis from the ledger."""
    return leaderboards_rebuild()


@shared_task(acks_late=True, ignore_result=True)
def expire_tiers() -> int:
    """Beat (daily): tiers whose keep ran out recomputed."""
    return tiers_expire()
