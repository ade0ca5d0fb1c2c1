"""Test settings: `make test`. PostgreSQL and Redis when DATABASE_URL /
REDIS_URL are set (CI), SQLite otherwise."""

from __future__ import annotations

from .base import *  # noqa: F403
from .base import INSTALLED_APPS, VAR_DIR, env

DEBUG = False
SECRET_KEY = "test-only-secret-key"  # noqa: S105 - test settings only
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
INSTALLED_APPS = [*INSTALLED_APPS, "core.testing.probe"]
MEDIA_ROOT = VAR_DIR / "test-media"
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)
CELERY_TASK_EAGER_PROPAGATES = True
AXES_FAILURE_LIMIT = 5
# Per-process cache: tests never touch (or flush) a shared Redis, and each
# test starts with empty rate limits (conftest clears it).
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Serve static files from the finders: tests never run collectstatic.
WHITENOISE_USE_FINDERS = True
# Pages render afresh in tests (a test changes data behind the services'
# backs); core/tests/test_pagecache.py and shop/tests/test_page_cache.py turn
# the page cache on and check it.
PAGE_CACHE_SECONDS = 0
