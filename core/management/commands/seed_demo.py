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
from core.services import outbox_deliver_quiet


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
                delivered = outbox_deliver_quiet()
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
