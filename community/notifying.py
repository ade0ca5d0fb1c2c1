"""The community's notifications, in one place: each function builds what a
member is told and hands it to `_send()`.

`_send()` hands it to the shared notification centre
(`core.notifications.notify`). Callers run inside
the transaction that records why the member is told (e.g. a
BuyerQuestionRequest row), so a notification and its reason commit
together."""

from __future__ import annotations

from typing import Any

from core.notifications import notify

QUESTION_FOR_BUYER = "community.question_for_buyer"


def _send(
    *, user_id: int, kind: str, key: str, data: dict[str, Any], url: str, actor_id: int | None
) -> None:
    """Deliver one notification (`key` makes a second delivery a no-op)."""
    notify(user_id=user_id, kind=kind, key=key, data=data, url=url, actor_id=actor_id)


def ask_buyer(*, question, buyer_id: int) -> None:
    """Ask a recent buyer of the question's product to help answer it."""
    product = question.product
    _send(
        user_id=buyer_id,
        kind=QUESTION_FOR_BUYER,
        key=f"question:{question.pk}:buyer:{buyer_id}",
        data={
            "question_id": question.pk,
            "title": question.title,
            "product_id": product.pk if product is not None else None,
            "product_name": product.name if product is not None else "",
        },
        url=question.get_absolute_url(),
        actor_id=question.author_id,
    )
