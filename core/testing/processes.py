"""Real services for integration tests: a private redis-server the test may
stop or pause, and a Celery worker subprocess. Each owns its process group
and always ends it; logs go to files a failing test can print."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote


def free_port() -> int:
    """A port nothing listens on (the OS picked it and it was released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def tcp_reachable(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_until(predicate: Callable[[], bool], *, timeout: float, interval: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


def _end_process_group(process: subprocess.Popen, *, grace: float = 10.0) -> None:
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGCONT)  # a paused process cannot exit
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=grace)


class RedisServer:
    """A throwaway redis-server on a free loopback port, without persistence."""

    def __init__(self, directory: Path) -> None:
        self.binary = shutil.which("redis-server")
        self.directory = directory
        self.port = free_port()
        self.log_path = directory / f"redis-{self.port}.log"
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, *, timeout: float = 10.0) -> bool:
        if not self.binary:
            return False
        self.directory.mkdir(parents=True, exist_ok=True)
        # The file stays open in the child; closing it here is safe.
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 - fixed argument list
                [
                    self.binary,
                    "--port",
                    str(self.port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--dir",
                    str(self.directory),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return wait_until(lambda: tcp_reachable("127.0.0.1", self.port), timeout=timeout)

    def stop(self) -> None:
        if self.process is not None:
            _end_process_group(self.process)
            self.process = None

    def pause(self) -> None:
        """SIGSTOP: the port still accepts connections but nothing answers."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGCONT)

    def log_tail(self, chars: int = 4000) -> str:
        return _tail(self.log_path, chars)


def database_url(settings_dict: dict) -> str:
    """A DATABASE_URL (django-environ) for a PostgreSQL settings dict."""
    user = quote(settings_dict.get("USER") or "", safe="")
    password = settings_dict.get("PASSWORD") or ""
    credentials = f"{user}:{quote(password, safe='')}" if password else user
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or "5432"
    return f"postgres://{credentials}@{host}:{port}/{quote(settings_dict['NAME'], safe='')}"


class CeleryWorker:
    """`celery -A config worker -B --pool=solo` in its own process group, so
    the task runs in the worker's main process (its pid is `self.pid`)."""

    def __init__(
        self, *, directory: Path, project_dir: Path, env: dict[str, str], pool: str = "solo"
    ) -> None:
        self.directory = directory
        self.project_dir = project_dir
        self.env = env
        # "prefork" where a test needs time limits (solo enforces none).
        self.pool = pool
        self.log_path = directory / "celery-worker.log"
        self.process: subprocess.Popen | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self, *, timeout: float = 30.0) -> bool:
        self.directory.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, **self.env, "PYTHONUNBUFFERED": "1"}
        started_at = len(self.log())  # a restart appends to the same log
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 - fixed argument list
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "config",
                    "worker",
                    "-B",
                    "--loglevel=INFO",
                    f"--pool={self.pool}",
                    "--concurrency=1",
                    "--without-gossip",
                    "--without-mingle",
                    "--hostname",
                    f"outbox-test-{uuid.uuid4().hex[:8]}@%h",
                ],
                cwd=self.project_dir,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return (
            wait_until(
                lambda: self.process.poll() is not None or " ready." in self.log()[started_at:],
                timeout=timeout,
            )
            and self.process.poll() is None
        )

    def stop(self) -> None:
        if self.process is not None:
            _end_process_group(self.process)

    def kill(self) -> None:
        """SIGKILL the worker and its embedded beat: no shutdown, no ack."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def log_tail(self, chars: int = 6000) -> str:
        return _tail(self.log_path, chars)


def _tail(path: Path, chars: int) -> str:
    try:
        return path.read_text(errors="replace")[-chars:]
    except FileNotFoundError:
        return "(no log)"
