"""`services.py postgres|redis URL`: exit 0 if the service answers within 3 s."""

from __future__ import annotations

import sys


def postgres(url: str) -> None:
    import psycopg

    with psycopg.connect(url, connect_timeout=3) as conn:
        conn.execute("SELECT 1")


def redis(url: str) -> None:
    import redis as redis_client

    redis_client.Redis.from_url(url, socket_timeout=3, socket_connect_timeout=3).ping()


if __name__ == "__main__":
    kind, url = sys.argv[1], sys.argv[2]
    try:
        {"postgres": postgres, "redis": redis}[kind](url)
    except Exception as exc:  # noqa: BLE001
        print(f"{kind} at {url} is not reachable: {exc}", file=sys.stderr)
        sys.exit(1)
