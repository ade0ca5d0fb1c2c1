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
# shellcheck source=bench/common.sh
source bench/common.sh
bench_env

echo "== migrate, seed (skipped when already seeded), collectstatic"
"$PY" -c "import django; django.setup(); from bench.common import ensure_database; ensure_database()"
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

bench_gunicorn_start

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

bench_load_header
for name in "${NAMES[@]}"; do
    bench_load "$name" "${PATHS[$name]}"
done
echo "-- anonymous shopper with a cart (page cache, their badge filled in)"
for name in home category product_hot product_typical; do
    bench_load "$name (shopper)" "${PATHS[$name]}" -H "Cookie: $SHOPPER_COOKIE"
done
echo "-- signed-in member (never page-cached: the full render)"
for name in home category product_hot product_typical search search_typo; do
    bench_load "$name (member)" "${PATHS[$name]}" -H "Cookie: $MEMBER_COOKIE"
done

"$PY" bench/cartload.py --port "$PORT" --duration "$WARMUP" --connections "$CONNECTIONS" \
    --product-path "${PATHS[product_hot]}" --variants "$WORK/variants.txt" >/dev/null
cart=$("$PY" bench/cartload.py --port "$PORT" --duration "$DURATION" \
    --connections "$CONNECTIONS" --product-path "${PATHS[product_hot]}" \
    --variants "$WORK/variants.txt")
read -r _ cart_errors cart_rps cart_p50 cart_p99 <<<"$(tr ' ' '\n' <<<"$cart" | cut -d= -f2 | tr '\n' ' ')"
bench_row add_to_cart "POST /shop/cart/add/ (bench/cartload.py)" \
    "$cart_rps" "${cart_p50}ms" "${cart_p99}ms" "$cart_errors"

bench_gunicorn_errors
