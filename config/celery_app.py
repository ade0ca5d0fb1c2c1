from __future__ import annotations

import logging
import os
from pathlib import Path

from celery import Celery
from celery.beat import PersistentScheduler

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("kampung")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


class Scheduler(PersistentScheduler):
    """Celery's file-backed beat scheduler, which first creates the folder of
    its schedule file. Without it, beat in a fresh KAMPUNG_VAR_DIR dies with
    FileNotFoundError while the worker it is embedded in (`worker -B`) carries
    on, and the outbox relay silently never runs."""

    def setup_schedule(self) -> None:
        Path(self.schedule_filename).parent.mkdir(parents=True, exist_ok=True)
        super().setup_schedule()

    def sync(self) -> None:
        """Saving when each task last ran is a convenience (every beat task is
        idempotent): a store that fails to write (Python 3.13's dbm.sqlite3
        raised "locking protocol" after a broker outage, and beat stopped
        sending, the outbox relay with it) is logged and beat carries on."""
        try:
            super().sync()
        except Exception:  # any store error: beat must keep running
            logging.getLogger("kampung.beat").warning("beat_schedule_store_failed", exc_info=True)
