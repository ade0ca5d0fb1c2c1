#!/usr/bin/env bash
# Every gate CI runs. PostgreSQL and Redis are used when reachable (SQLite and
# the embedded broker otherwise); with CI=true they are required.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
PY=$VENV/bin/python
ci=false
case "${CI:-}" in 1|true|TRUE|yes) ci=true ;; esac

if [ -z "${DATABASE_URL:-}" ]; then
    if $PY scripts/services.py postgres "postgres://postgres@127.0.0.1:5432/postgres"; then
        export DATABASE_URL="postgres://postgres@127.0.0.1:5432/kampung"
    fi
fi
if [ -z "${REDIS_URL:-}" ]; then
    if $PY scripts/services.py redis "redis://127.0.0.1:6379/0"; then
        export REDIS_URL="redis://127.0.0.1:6379/0"
    fi
fi
if $ci; then
    [ -n "${DATABASE_URL:-}" ] || { echo "CI=true but PostgreSQL is not reachable" >&2; exit 1; }
    [ -n "${REDIS_URL:-}" ] || { echo "CI=true but Redis is not reachable" >&2; exit 1; }
fi
echo "database: ${DATABASE_URL:-SQLite}   redis: ${REDIS_URL:-none (embedded broker)}"

echo "== ruff"
$VENV/bin/ruff check .
$VENV/bin/ruff format --check .

echo "== import contracts"
$VENV/bin/lint-imports

echo "== migrations are up to date"
DJANGO_SETTINGS_MODULE=config.settings.test $PY manage.py makemigrations --check --dry-run

echo "== production settings pass check --deploy"
DJANGO_SETTINGS_MODULE=config.settings.production \
DJANGO_SECRET_KEY="$($PY -c 'import secrets; print(secrets.token_urlsafe(64))')" \
DJANGO_ALLOWED_HOSTS=shop.example.com \
DATABASE_URL="${DATABASE_URL:-sqlite:///var/check.sqlite3}" \
    $PY manage.py check --deploy --fail-level WARNING

echo "== docker-compose.yml is valid"
if command -v docker-compose >/dev/null 2>&1; then
    DJANGO_SECRET_KEY=validation-only docker-compose -f docker-compose.yml config -q
elif $ci; then
    echo "CI=true but docker-compose is missing" >&2; exit 1
else
    echo "docker-compose not installed; skipped"
fi

echo "== tests"
DJANGO_SETTINGS_MODULE=config.settings.test $VENV/bin/pytest --create-db "$@"
