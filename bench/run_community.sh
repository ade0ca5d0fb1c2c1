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
ROOT=$(pwd)
PY=${PYTHON:-$ROOT/.venv/bin/python}
GUNICORN=${GUNICORN:-$ROOT/.venv/bin/gunicorn}
PORT=${PORT:-8765}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
CONNECTIONS=${CONNECTIONS:-8}
WORKERS=${WORKERS:-2}
BASE="http://127.0.0.1:$PORT"

export DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/kampung_bench}
export REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/15}
export DJANGO_SETTINGS_MODULE=config.settings.production
export DJANGO_SECRET_KEY=${DJANGO_SECRET_KEY:-$("$PY" -c 'import secrets; print(secrets.token_urlsafe(50))')}
export DJANGO_ALLOWED_HOSTS=127.0.0.1
export DJANGO_SECURE_SSL_REDIRECT=false
WORK=$(mktemp -d)
export KAMPUNG_VAR_DIR=$WORK/var
mkdir -p "$KAMPUNG_VAR_DIR"

GUNICORN_PID=""
cleanup() {
    if [[ -n "$GUNICORN_PID" ]] && kill -0 "$GUNICORN_PID" 2>/dev/null; then
        kill -TERM "$GUNICORN_PID"
        wait "$GUNICORN_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

if ! command -v wrk >/dev/null; then
    echo "wrk is missing: apt-get install -y wrk" >&2
    exit 1
fi

echo "== migrate, seed (each skipped when already seeded), collectstatic"
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

echo "== gunicorn: $WORKERS sync workers on $BASE"
# --no-control-socket: see bench/run.sh.
"$GUNICORN" config.wsgi --workers "$WORKERS" --worker-class sync --bind "127.0.0.1:$PORT" \
    --no-control-socket \
    >"$WORK/gunicorn.log" 2>&1 &
GUNICORN_PID=$!
for _ in $(seq 50); do
    curl -fs -o /dev/null "$BASE/robots.txt" && break
    sleep 0.2
done
curl -fs -o /dev/null "$BASE/robots.txt" || { tail -20 "$WORK/gunicorn.log"; exit 1; }

MEMBER_SESSION=$("$PY" bench/member_session.py)
MEMBER_COOKIE="sessionid=$MEMBER_SESSION"

load() {  # load NAME PATH [wrk args...]
    local name=$1 path=$2
    shift 2
    local url="$BASE$path"
    wrk -t2 -c"$CONNECTIONS" -d"${WARMUP}s" "$@" "$url" >/dev/null
    local out rps p50 p99 errors
    out=$(wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency "$@" "$url")
    rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
    p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
    p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
    errors=$(awk '/Non-2xx/ {print $NF} /Socket errors/ {print}' <<<"$out" | tr '\n' ' ')
    printf '%-30s %-60s %9s %8s %8s %6s\n' "$name" "${path:0:60}" "$rps" "$p50" "$p99" "${errors:-0}"
}

echo "== load: wrk, $CONNECTIONS connections, ${DURATION}s each (after ${WARMUP}s warm-up)"
printf '%-30s %-60s %9s %8s %8s %6s\n' page path "req/s" "p50" "p99" "errors"
for name in "${NAMES[@]}"; do
    load "$name" "${PATHS[$name]}"
done
echo "-- signed-in member (never page-cached: the full render)"
for name in "${NAMES[@]:1}"; do
    load "$name (member)" "${PATHS[$name]}" -H "Cookie: $MEMBER_COOKIE"
done
load "ceiling (again)" "${PATHS[ceiling]}"

if grep -q '"level": "error"\|Traceback' "$WORK/gunicorn.log"; then
    echo "== errors in the gunicorn log:"
    grep -m5 '"level": "error"\|Traceback' "$WORK/gunicorn.log"
fi
