"""`make run`'s process supervisor (scripts/dev.py): a worker or beat that
exits is started again, with nothing done by hand; the web server exiting
stops everything. Real child processes."""

from __future__ import annotations

import importlib.util
import sys
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.fixture
def dev(monkeypatch):
    spec = importlib.util.spec_from_file_location("kampung_dev", ROOT / "scripts" / "dev.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "RESTART_FIRST_SECONDS", 0.2)
    return module


def _child(dev, name: str, code: str):
    return dev.Supervised(name, [sys.executable, "-c", code], env={})


def _end(children) -> None:
    for child in children.values():
        if child.process and child.process.poll() is None:
            child.process.kill()
            child.process.wait(timeout=10)


def test_a_worker_that_exits_is_started_again_while_the_web_server_runs(dev):
    # given: a web server that runs, a worker that dies at once every time
    children = {
        "web": _child(dev, "web", "import time; time.sleep(60)"),
        "worker": _child(dev, "worker", "raise SystemExit(3)"),
    }
    for child in children.values():
        child.start()
    stop = threading.Event()
    threading.Timer(4.0, stop.set).start()

    # when
    try:
        code = dev.supervise(children, stop.is_set)
        web_alive = children["web"].process.poll() is None
    finally:
        _end(children)

    # then: restarted several times, with a growing pause, web untouched
    assert code == 0
    assert web_alive
    assert children["worker"].restarts >= 2
    assert children["worker"].delay > dev.RESTART_FIRST_SECONDS


def test_a_restarted_worker_keeps_running(dev, tmp_path):
    # given: a worker that dies the first time only
    marker = tmp_path / "started-once"
    code = (
        "import pathlib, time, sys\n"
        f"m = pathlib.Path({str(marker)!r})\n"
        "if not m.exists():\n"
        "    m.write_text('x'); sys.exit(1)\n"
        "time.sleep(60)\n"
    )
    children = {"web": _child(dev, "web", "import time; time.sleep(60)")}
    children["worker"] = _child(dev, "worker", code)
    for child in children.values():
        child.start()
    first_pid = children["worker"].process.pid
    stop = threading.Event()
    threading.Timer(3.0, stop.set).start()

    # when
    try:
        dev.supervise(children, stop.is_set)
        worker = children["worker"].process
        alive, pid = worker.poll() is None, worker.pid
    finally:
        _end(children)

    # then
    assert alive
    assert pid != first_pid
    assert children["worker"].restarts == 1


def test_the_web_server_exiting_stops_the_supervisor(dev):
    children = {
        "web": _child(dev, "web", "raise SystemExit(4)"),
        "worker": _child(dev, "worker", "import time; time.sleep(60)"),
    }
    for child in children.values():
        child.start()
    started = time.monotonic()

    try:
        code = dev.supervise(children, lambda: time.monotonic() - started > 20)
    finally:
        _end(children)

    assert code == 4
    assert time.monotonic() - started < 20
