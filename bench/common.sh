# What bench/run.sh and bench/run_community.sh share, sourced by both from the
# repository root: the settings they run with, the gunicorn under test, the
# wrk runs with their table of results, and the clean-up on exit. Functions
# only: sourcing it changes nothing until a script calls them.

# bench_env: the environment both run with (the scripts' headers list the
# defaults), a scratch folder removed on exit, and wrk, which both need.
bench_env() {
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
    trap bench_cleanup EXIT

    if ! command -v wrk >/dev/null; then
        echo "wrk is missing: apt-get install -y wrk" >&2
        exit 1
    fi
}

bench_cleanup() {
    if [[ -n "$GUNICORN_PID" ]] && kill -0 "$GUNICORN_PID" 2>/dev/null; then
        kill -TERM "$GUNICORN_PID"
        wait "$GUNICORN_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}

# bench_gunicorn_start: $WORKERS sync workers on $BASE, logging to
# $WORK/gunicorn.log; returns once they answer (exits if they never do).
bench_gunicorn_start() {
    echo "== gunicorn: $WORKERS sync workers on $BASE"
    # --no-control-socket: gunicorn 27 otherwise shares ~/.gunicorn/gunicorn.ctl
    # with every other gunicorn of this user, and the first to exit deletes it.
    "$GUNICORN" config.wsgi --workers "$WORKERS" --worker-class sync --bind "127.0.0.1:$PORT" \
        --no-control-socket \
        >"$WORK/gunicorn.log" 2>&1 &
    GUNICORN_PID=$!
    for _ in $(seq 50); do
        curl -fs -o /dev/null "$BASE/robots.txt" && break
        sleep 0.2
    done
    curl -fs -o /dev/null "$BASE/robots.txt" || { tail -20 "$WORK/gunicorn.log"; exit 1; }
}

# The table of results: columns NAME_WIDTH and PATH_WIDTH wide (each script
# sets them for its page names and paths; a longer path is cut to fit).
NAME_WIDTH=24
PATH_WIDTH=52

bench_row() {  # bench_row NAME PATH REQ/S P50 P99 ERRORS
    printf "%-${NAME_WIDTH}s %-${PATH_WIDTH}s %9s %8s %8s %6s\n" \
        "$1" "${2:0:$PATH_WIDTH}" "$3" "$4" "$5" "$6"
}

bench_load_header() {
    echo "== load: wrk, $CONNECTIONS connections, ${DURATION}s each (after ${WARMUP}s warm-up)"
    bench_row page path "req/s" "p50" "p99" "errors"
}

bench_load() {  # bench_load NAME PATH [wrk args...]
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
    bench_row "$name" "$path" "$rps" "$p50" "$p99" "${errors:-0}"
}

# bench_gunicorn_errors: the first errors gunicorn logged during the runs.
bench_gunicorn_errors() {
    if grep -q '"level": "error"\|Traceback' "$WORK/gunicorn.log"; then
        echo "== errors in the gunicorn log:"
        grep -m5 '"level": "error"\|Traceback' "$WORK/gunicorn.log"
    fi
}
