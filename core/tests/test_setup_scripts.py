"""The two README commands rest on these scripts: the interpreter finder and
the dev supervisor behind `make run`."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _write_fake_python(path: Path, version: str) -> None:
    major, minor = version.split(".")
    path.write_text(
        "#!/bin/sh\n"
        f'case "$*" in *version_info*) [ {major}{minor.zfill(2)} -ge 312 ] && exit 0 || exit 1;; esac\n'
        f'echo "{path}"\n'
    )
    path.chmod(0o755)


def test_find_python_skips_too_old_and_broken_interpreters(tmp_path):
    # given: python3 is 3.11, python3.13 is a shim that does not run, python3.12 works
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    _write_fake_python(bin_dir / "python3", "3.11")
    _write_fake_python(bin_dir / "python3.12", "3.12")
    (bin_dir / "python3.13").write_text("#!/bin/sh\necho 'command not found' >&2\nexit 127\n")
    (bin_dir / "python3.13").chmod(0o755)
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(tmp_path)}

    # when
    result = subprocess.run(
        ["sh", str(ROOT / "scripts/find-python.sh")], env=env, capture_output=True, text=True
    )

    # then
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("python3.12")


def test_find_python_fails_clearly_when_there_is_no_recent_python(tmp_path):
    # given: only a 3.11 interpreter, no pyenv
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    _write_fake_python(bin_dir / "python3", "3.11")
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(tmp_path)}

    # when
    result = subprocess.run(
        ["sh", str(ROOT / "scripts/find-python.sh")], env=env, capture_output=True, text=True
    )

    # then
    assert result.returncode != 0
    assert "needs Python 3.12 or newer" in result.stderr


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def test_dev_runner_serves_the_site_and_ctrl_c_stops_every_process(tmp_path):
    # given: the embedded defaults (SQLite, SQLite broker) in a private var dir
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "KAMPUNG_VAR_DIR": str(tmp_path / "var"),
        "KAMPUNG_PORT": str(port),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'var' / 'dev.sqlite3'}",
        "REDIS_URL": "",
    }
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    runner = subprocess.Popen(
        [sys.executable, "scripts/dev.py"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        text=True,
    )
    try:
        # when: the site answers
        deadline = time.monotonic() + 60
        status = None
        while time.monotonic() < deadline and status is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as r:
                    status = r.status
            except OSError:
                time.sleep(0.5)
        children = subprocess.run(
            ["pgrep", "-P", str(runner.pid)], capture_output=True, text=True
        ).stdout.split()

        runner.send_signal(signal.SIGINT)
        runner.wait(timeout=30)
    finally:
        if runner.poll() is None:
            os.killpg(runner.pid, signal.SIGKILL)
    output = runner.stdout.read()

    # then: web, worker and beat ran, and none of them (nor their children) survived
    assert status == 200, output[-3000:]
    assert len(children) == 3, output[-3000:]
    time.sleep(0.5)
    assert [pid for pid in children if _group_alive(int(pid))] == [], output[-3000:]
    assert "Stopped web, worker and beat." in output
    assert "celery@" in output or "worker" in output


@pytest.fixture(autouse=True)
def _no_db():
    yield


def test_manage_py_migrate_works_on_a_fresh_clone_without_make(tmp_path):
    # given a checkout with no var/ folder and no configuration
    var = tmp_path / "fresh" / "var"
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env["KAMPUNG_VAR_DIR"] = str(var)

    # when a newcomer runs migrate directly
    result = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )

    # then the settings made what they need and the database exists
    assert result.returncode == 0, result.stderr[-2000:]
    assert (var / "kampung.sqlite3").is_file()
