"""Loyalty's reactions to the other apps' events (run by workers through the
outbox, each at least once: every handler is idempotent). Each part of the
program keeps its handlers in a module of its own, imported here."""

from __future__ import annotations

from loyalty import (
    bounty_handlers,  # noqa: F401
    reward_handlers,  # noqa: F401
    rule_handlers,  # noqa: F401
)
