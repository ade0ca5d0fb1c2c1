"""bench/run.sh starts gunicorn the way it can run beside other gunicorns."""

from __future__ import annotations

import shlex
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
GUNICORN = Path(sys.executable).with_name("gunicorn")


def _gunicorn_flags() -> list[str]:
    """The options bench/run.sh passes to gunicorn (continued lines joined)."""
    script = (ROOT / "bench" / "run.sh").read_text().replace("\\\n", " ")
    (line,) = [row for row in script.splitlines() if row.lstrip().startswith('"$GUNICORN"')]
    words = shlex.split(line.split(">", 1)[0])
    flags = words[2:]  # after "$GUNICORN" and the app
    # Only the switches that do not need the script's variables.
    return [flag for flag in flags if flag.startswith("--") and "$" not in flag]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_bench_gunicorn_opens_no_control_socket_in_the_home_folder(tmp_path):
    # given: the flags bench/run.sh uses, a trivial app and a private home
    flags = [f for f in _gunicorn_flags() if f not in {"--workers", "--worker-class", "--bind"}]
    (tmp_path / "app.py").write_text(
        "def app(environ, start_response):\n"
        "    start_response('200 OK', [('Content-Type', 'text/plain')])\n"
        "    return [b'ok']\n"
    )
    home = tmp_path / "home"
    home.mkdir()
    port = _free_port()

    # when
    process = subprocess.Popen(
        [str(GUNICORN), "app:app", "--bind", f"127.0.0.1:{port}", *flags],
        cwd=tmp_path,
        env={"HOME": str(home), "PATH": "/usr/bin:/bin"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        body = b""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not body:
            try:
                body = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2).read()
            except OSError:
                time.sleep(0.2)
        time.sleep(0.5)  # the control socket opens after the workers boot
        sockets = [path.name for path in home.rglob("*.ctl")]
    finally:
        process.terminate()
        process.wait(timeout=30)

    # then
    assert body == b"ok"
    assert sockets == []
    assert "--no-control-socket" in flags
