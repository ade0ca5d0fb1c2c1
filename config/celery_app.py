from __future__ import annotations

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
