"""Print a session key for a signed-in benchmark member (one of the users
bench/seed.py created), so wrk can load pages as that member."""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.test import Client  # noqa: E402

from bench.queries import bench_member  # noqa: E402

if __name__ == "__main__":
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(bench_member())
    print(client.cookies[settings.SESSION_COOKIE_NAME].value)
