"""What the Python benchmarks share. Import after the script has put the
repository root on sys.path (as each does first):

    from bench.common import ensure_database
"""

from __future__ import annotations


def ensure_database() -> None:
    """Create the database Django's default connection names, if missing,
    so a benchmark can be pointed at a fresh DATABASE_URL. Call it after
    django.setup() and before migrating."""
    import psycopg
    from django.conf import settings

    db = settings.DATABASES["default"]
    dsn = {k: db[v] for k, v in [("host", "HOST"), ("port", "PORT"), ("user", "USER")] if db[v]}
    if db.get("PASSWORD"):
        dsn["password"] = db["PASSWORD"]
    with psycopg.connect(dbname="postgres", autocommit=True, **dsn) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db["NAME"]])
        if exists.fetchone() is None:
            conn.execute(f'CREATE DATABASE "{db["NAME"]}"')
