"""Thin Celery entry points for the community (services do the work)."""

from __future__ import annotations

from celery import shared_task

from community.services.review_requests import review_requests_send


@shared_task(acks_late=True, ignore_result=True)
def send_review_requests() -> int:
    """Beat: the review-request emails that are due (one per order)."""
    return review_requests_send()
