"""`manage.py seed_demo`: believable demo data. Every app contributes its own
through the DEMO_DATA hook, in order; each seeder is idempotent, so a second
run duplicates nothing."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.db import transaction

from core import hooks


class Command(BaseCommand):
    help = "Load idempotent demo data (users, and whatever each app adds)."

    def handle(self, *args, **options) -> None:
        seeders = hooks.get_hooks(hooks.DEMO_DATA)
        for seeder in seeders:
            with transaction.atomic():
                seeder(self.stdout)
        self.stdout.write(self.style.SUCCESS(f"Demo data is in place ({len(seeders)} seeders)."))
