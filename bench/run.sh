#!/usr/bin/env bash
# Storefront benchmark: gunicorn (2 sync workers, production settings) under
# wrk on loopback. See bench/README.md.
#
#   bench/run.sh            # migrate + seed if needed, then measure
#   DURATION=30 bench/run.sh
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

echo "== migrate, seed (skipped when already seeded), collectstatic"
"$PY" manage.py migrate --no-input -v0
"$PY" bench/seed.py
"$PY" manage.py collectstatic --no-input -v0

sql() { psql "$DATABASE_URL" -tAc "$1"; }
CATEGORY=$(sql "SELECT slug FROM shop_category WHERE depth = 1 ORDER BY position LIMIT 1")
HOT_PRODUCT=$(sql "SELECT slug FROM shop_product WHERE is_published ORDER BY sales_count DESC, id LIMIT 1")
TYPICAL_PRODUCT=$(sql "SELECT slug FROM shop_product WHERE is_published
    ORDER BY sales_count, id OFFSET (SELECT COUNT(*) / 2 FROM shop_product) LIMIT 1")
sql "SELECT v.id FROM shop_variant v JOIN shop_product p ON p.id = v.product_id
     WHERE p.is_published AND v.is_active AND v.stock > v.reserved + 100
     ORDER BY v.id LIMIT 500" >"$WORK/variants.txt"
CART_VARIANT=$(head -1 "$WORK/variants.txt")

declare -a NAMES=(ceiling home category product_hot product_typical search search_typo)
declare -A PATHS=(
    [ceiling]="/robots.txt"
    [home]="/"
    [category]="/shop/c/$CATEGORY/"
    [product_hot]="/shop/p/$HOT_PRODUCT/"
    [product_typical]="/shop/p/$TYPICAL_PRODUCT/"
    [search]="/shop/search/?q=batik+scarf"
    [search_typo]="/shop/search/?q=batk+scraf"
)

echo "== queries per page (Django test client, same database and settings)"
QPATHS=()
for name in "${NAMES[@]}"; do QPATHS+=("${PATHS[$name]}"); done
LOG_LEVEL=WARNING "$PY" bench/queries.py "${QPATHS[@]}" --post-cart "$CART_VARIANT" "${PATHS[product_hot]}"

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

# A shopper: an anonymous visitor with a cart in their session (the page cache
# serves them, filling in their cart badge). A member: a signed-in user, whose
# pages are always rendered afresh. (Cookies are parsed from the headers:
# production cookies are Secure, curl would not keep them over plain http.)
page_headers=$(curl -fs -D - -o /dev/null "$BASE${PATHS[product_hot]}")
CSRF=$(sed -n 's/^[Ss]et-[Cc]ookie: csrftoken=\([^;]*\).*/\1/p' <<<"$page_headers" | tr -d '\r')
add_headers=$(curl -fs -D - -o /dev/null -H "Cookie: csrftoken=$CSRF" -H "X-CSRFToken: $CSRF" \
    -d "variant_id=$CART_VARIANT&quantity=1" "$BASE/shop/cart/add/")
SESSION=$(sed -n 's/^[Ss]et-[Cc]ookie: sessionid=\([^;]*\).*/\1/p' <<<"$add_headers" | tr -d '\r')
[[ -n "$SESSION" ]] || { echo "could not start a shopper session" >&2; exit 1; }
SHOPPER_COOKIE="sessionid=$SESSION; csrftoken=$CSRF"
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
    printf '%-24s %-52s %9s %8s %8s %6s\n' "$name" "${path:0:52}" "$rps" "$p50" "$p99" "${errors:-0}"
}

echo "== load: wrk, $CONNECTIONS connections, ${DURATION}s each (after ${WARMUP}s warm-up)"
printf '%-24s %-52s %9s %8s %8s %6s\n' page path "req/s" "p50" "p99" "errors"
for name in "${NAMES[@]}"; do
    load "$name" "${PATHS[$name]}"
done
echo "-- anonymous shopper with a cart (page cache, their badge filled in)"
for name in home category product_hot product_typical; do
    load "$name (shopper)" "${PATHS[$name]}" -H "Cookie: $SHOPPER_COOKIE"
done
echo "-- signed-in member (never page-cached: the full render)"
for name in home category product_hot product_typical search search_typo; do
    load "$name (member)" "${PATHS[$name]}" -H "Cookie: $MEMBER_COOKIE"
done

"$PY" bench/cartload.py --port "$PORT" --duration "$WARMUP" --connections "$CONNECTIONS" \
    --product-path "${PATHS[product_hot]}" --variants "$WORK/variants.txt" >/dev/null
cart=$("$PY" bench/cartload.py --port "$PORT" --duration "$DURATION" \
    --connections "$CONNECTIONS" --product-path "${PATHS[product_hot]}" \
    --variants "$WORK/variants.txt")
read -r _ cart_errors cart_rps cart_p50 cart_p99 <<<"$(tr ' ' '\n' <<<"$cart" | cut -d= -f2 | tr '\n' ' ')"
printf '%-24s %-52s %9s %8s %8s %6s\n' add_to_cart "POST /shop/cart/add/ (bench/cartload.py)" \
    "$cart_rps" "${cart_p50}ms" "${cart_p99}ms" "$cart_errors"

if grep -q '"level": "error"\|Traceback' "$WORK/gunicorn.log"; then
    echo "== errors in the gunicorn log:"
    grep -m5 '"level": "error"\|Traceback' "$WORK/gunicorn.log"
fi
