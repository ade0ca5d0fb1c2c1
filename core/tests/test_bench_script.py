"""The benchmarks (bench/run.sh, bench/run_community.sh, through bench/common.sh)
start gunicorn the way it can run beside other gunicorns."""

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
    """The options bench/common.sh passes to gunicorn (continued lines joined)."""
    script = (ROOT / "bench" / "common.sh").read_text().replace("\\\n", " ")
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
    # given: the flags the benchmarks use, a trivial app and a private home
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


def test_both_benchmarks_start_gunicorn_and_run_wrk_through_common_sh():
    for name in ("run.sh", "run_community.sh"):
        script = (ROOT / "bench" / name).read_text()
        assert "source bench/common.sh" in script
        assert '"$GUNICORN"' not in script  # the flags checked above are the ones used
        assert "wrk -t" not in script
    for name in ("common.sh", "run.sh", "run_community.sh"):
        subprocess.run(["bash", "-n", str(ROOT / "bench" / name)], check=True)


FAKE_WRK = """#!/bin/sh
cat <<'OUT'
  Latency Distribution
     50%    1.50ms
     99%    9.25ms
Requests/sec:   1234.56
OUT
"""


def test_common_sh_prints_a_row_per_load_and_removes_its_scratch_folder(tmp_path):
    # given a wrk that prints a canned report
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "wrk").write_text(FAKE_WRK)
    (bin_dir / "wrk").chmod(0o755)
    script = (
        "set -euo pipefail\n"
        "source bench/common.sh\n"
        "bench_env\n"
        'echo "work=$WORK"\n'
        "NAME_WIDTH=10 PATH_WIDTH=12\n"
        "bench_load_header\n"
        'bench_load home "/a/very/long/path/indeed/"\n'
    )

    # when
    done = subprocess.run(
        ["bash", "-c", script],
        cwd=ROOT,
        env={"PATH": f"{bin_dir}:/usr/bin:/bin", "PYTHON": sys.executable, "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        check=True,
    )

    # then
    lines = done.stdout.splitlines()
    work = Path(lines[0].removeprefix("work="))
    assert lines[-2].split() == ["page", "path", "req/s", "p50", "p99", "errors"]
    assert lines[-1] == "home       /a/very/long   1234.56   1.50ms   9.25ms      0"
    assert not work.exists()
