#!/usr/bin/env bash
# Community benchmark: the same method as bench/run.sh (gunicorn, 2 sync
# workers, production settings, wrk on loopback) for the community pages on
# the bench catalogue plus bench/community_seed.py. See bench/README.md.
#
#   bench/run_community.sh            # migrate + seed if needed, then measure
#   DURATION=30 bench/run_community.sh
#
# Environment (defaults in brackets):
#   DATABASE_URL   [postgres://postgres@127.0.0.1:5432/kampung_bench]
#   REDIS_URL      [redis://127.0.0.1:6379/15]   (a separate db index; never flushed)
#   PORT [8765]  DURATION [10]  WARMUP [2]  CONNECTIONS [8]  WORKERS [2]
set -euo pipefail

cd "$(dirname "$0")/.."
# shellcheck source=bench/common.sh
source bench/common.sh
bench_env
NAME_WIDTH=30
PATH_WIDTH=60

echo "== migrate, seed (each skipped when already seeded), collectstatic"
"$PY" -c "import django; django.setup(); from bench.common import ensure_database; ensure_database()"
"$PY" manage.py migrate --no-input -v0
"$PY" bench/seed.py
"$PY" bench/community_seed.py
"$PY" manage.py collectstatic --no-input -v0

declare -a NAMES=(ceiling)
declare -A PATHS=([ceiling]="/robots.txt")
while read -r name path; do
    NAMES+=("$name")
    PATHS[$name]=$path
done < <(LOG_LEVEL=WARNING "$PY" bench/community_queries.py --paths)

echo "== queries per page (Django test client, same database and settings)"
LOG_LEVEL=WARNING "$PY" bench/community_queries.py

bench_gunicorn_start

MEMBER_SESSION=$("$PY" bench/member_session.py)
MEMBER_COOKIE="sessionid=$MEMBER_SESSION"

bench_load_header
for name in "${NAMES[@]}"; do
    bench_load "$name" "${PATHS[$name]}"
done
echo "-- signed-in member (never page-cached: the full render)"
for name in "${NAMES[@]:1}"; do
    bench_load "$name (member)" "${PATHS[$name]}" -H "Cookie: $MEMBER_COOKIE"
done
bench_load "ceiling (again)" "${PATHS[ceiling]}"

bench_gunicorn_errors
