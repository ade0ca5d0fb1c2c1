"""`manage.py reconcile`: prove that every cached points balance and award
standing equals the sum of the ledger's entries."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from loyalty.selectors.ledger import ledger_mismatches


class Command(BaseCommand):
    help = "Check that cached points balances agree with the ledger; list every row that does not."

    def handle(self, *args, **options) -> None:
        mismatches = list(ledger_mismatches())
        for mismatch in mismatches:
            self.stdout.write(str(mismatch))
        self.stdout.write(f"{len(mismatches)} mismatches")
        if mismatches:
            raise CommandError(f"{len(mismatches)} cached figures disagree with the ledger.")
