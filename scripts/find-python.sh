#!/bin/sh
# Print the path of a Python >= 3.12 interpreter, or fail with a clear message.
# Each candidate is actually run: a pyenv shim can exist and still answer
# "command not found", and a plain python3 may be too old.
ok() { "$@" -c 'import sys, venv; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1; }
where() { "$@" -c 'import sys; print(sys.executable)'; }

if [ -n "${PYTHON:-}" ]; then
    if ok "$PYTHON"; then where "$PYTHON"; exit 0; fi
    echo "PYTHON=$PYTHON is not a working Python >= 3.12" >&2
    exit 1
fi
for candidate in python3.14 python3.13 python3.12 python3; do
    if command -v "$candidate" >/dev/null 2>&1 && ok "$candidate"; then
        where "$candidate"; exit 0
    fi
done
# pyenv: its installed versions work even when its global version is older.
if command -v pyenv >/dev/null 2>&1; then
    root=$(pyenv root 2>/dev/null)
    for version in $(pyenv versions --bare 2>/dev/null | grep -E '^3\.[0-9]+(\.[0-9]+)?$' | sort -t. -k1,1nr -k2,2nr -k3,3nr); do
        candidate="$root/versions/$version/bin/python3"
        if [ -x "$candidate" ] && ok "$candidate"; then
            where "$candidate"; exit 0
        fi
    done
fi
for candidate in /usr/local/bin/python3.13 /usr/local/bin/python3.12 /usr/bin/python3.13 /usr/bin/python3.12; do
    if [ -x "$candidate" ] && ok "$candidate"; then where "$candidate"; exit 0; fi
done
cat >&2 <<'MSG'
Kampung needs Python 3.12 or newer (Django 6.1 does not run on older Pythons),
and none was found (tried python3.14, python3.13, python3.12, python3 and pyenv's
installed versions). Install one, e.g. `apt-get install python3.12 python3.12-venv`,
`pyenv install 3.13`, or point PYTHON=/path/to/python3.12 at it, then run make again.
MSG
exit 1
