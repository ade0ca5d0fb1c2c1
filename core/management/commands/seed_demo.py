"""`manage.py seed_demo`: believable demo data. Every app contributes its own
through the DEMO_DATA hook, in order; each seeder is idempotent, so a second
run duplicates nothing.

The demo's shoppers and orders are made up, so it sends no mail: everything
runs inside core.events.quiet(), and the events it published are delivered
here and now (quiet, so their handlers record no email) instead of flooding
the worker when it starts. Each seeder prints a line per step."""

from __future__ import annotations

import logging
import time

from django.core.management.base import BaseCommand
from django.db import transaction

from core import hooks
from core.events import quiet
from core.models import OutboxDelivery
from core.services import outbox_deliver_events


class Command(BaseCommand):
    help = "Load idempotent demo data (users, and whatever each app adds)."

    def handle(self, *args, **options) -> None:
        started = time.monotonic()
        seeders = hooks.get_hooks(hooks.DEMO_DATA)
        # The per-event and per-cache log lines would bury the progress lines.
        if options["verbosity"] < 2:
            logging.disable(logging.INFO)
        try:
            with quiet():
                for seeder in seeders:
                    with transaction.atomic():
                        seeder(self.stdout)
                    self.stdout.flush()
                delivered = self._deliver_quiet_events()
        finally:
            logging.disable(logging.NOTSET)
        if delivered:
            self.stdout.write(f"Events: {delivered} delivered, no email sent for demo data.")
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data is in place ({len(seeders)} seeders, "
                f"{time.monotonic() - started:.1f} s)."
            )
        )

    def _deliver_quiet_events(self) -> int:
        event_ids = list(
            OutboxDelivery.objects.filter(
                status=OutboxDelivery.Status.PENDING, attempts=0, event__quiet=True
            )
            .values_list("event_id", flat=True)
            .distinct()
        )
        delivered = 0
        for start in range(0, len(event_ids), 100):
            delivered += outbox_deliver_events(event_ids=event_ids[start : start + 100])
        return delivered
