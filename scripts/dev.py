"""`make run`: the web server, a Celery worker and Celery beat, together.

Ctrl-C (or SIGTERM) stops all three and everything they started; nothing is
left running. If the worker or beat exits (a lost broker it could not get
back, a crash), it is started again after a short pause, which grows while it
keeps exiting at once; if the web server exits, everything stops.

The address and the demo accounts are printed last, once the web server
answers and the worker says it is ready, so they are what the screen shows
when the start-up lines stop."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
HOST = os.environ.get("KAMPUNG_HOST", "127.0.0.1")
PORT = os.environ.get("KAMPUNG_PORT", "8000")

COMMANDS = {
    "web": [sys.executable, "manage.py", "runserver", f"{HOST}:{PORT}"],
    "worker": [
        str(BIN / "celery"),
        "-A",
        "config",
        "worker",
        "-l",
        "info",
        "--concurrency",
        "2",
        "-n",
        "kampung-dev@%h",
    ],
    "beat": [str(BIN / "celery"), "-A", "config", "beat", "-l", "info"],
}


# What a process prints once it is ready (the web server: see web_answers).
READY_MARK = {"worker": " ready.", "beat": "beat: Starting"}
READY_TIMEOUT_SECONDS = 90.0

# Processes started again when they exit; the first restart waits this long,
# doubling (up to RESTART_MAX_SECONDS) while a process keeps exiting within
# RESTART_RESET_SECONDS of its start.
RESTARTED = {"worker", "beat"}
RESTART_FIRST_SECONDS = 1.0
RESTART_MAX_SECONDS = 30.0
RESTART_RESET_SECONDS = 60.0


class Supervised:
    """One child process and its restart schedule."""

    def __init__(self, name: str, command: list[str], env: dict[str, str]) -> None:
        self.name = name
        self.command = command
        self.env = env
        self.process: subprocess.Popen | None = None
        self.started_at = 0.0
        self.restart_at: float | None = None
        self.delay = RESTART_FIRST_SECONDS
        self.restarts = 0
        self.ready = threading.Event()

    def start(self) -> None:
        # Own process group each, so one signal reaches a process and its
        # children. Its output goes through here, to notice when it is ready.
        self.process = subprocess.Popen(
            self.command,
            cwd=ROOT,
            env=self.env,
            start_new_session=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
        )
        self.ready = threading.Event()
        threading.Thread(target=self._forward, args=(self.process.stdout,), daemon=True).start()
        self.started_at = time.monotonic()
        self.restart_at = None

    def _forward(self, stream) -> None:
        for line in stream:
            sys.stdout.write(line)
            sys.stdout.flush()
            if READY_MARK.get(self.name, "\0") in line:
                self.ready.set()

    def exited(self) -> bool:
        return self.process is not None and self.process.poll() is not None

    def schedule_restart(self, now: float) -> None:
        # A worker's pool children may outlive it in its group.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        if now - self.started_at > RESTART_RESET_SECONDS:
            self.delay = RESTART_FIRST_SECONDS
        self.restart_at = now + self.delay
        print(
            f"{self.name} exited with {self.process.returncode}; "
            f"starting it again in {self.delay:.0f} s.",
            flush=True,
        )
        self.delay = min(self.delay * 2, RESTART_MAX_SECONDS)


def supervise(children: dict[str, Supervised], should_stop) -> int:
    """Run until `should_stop()` or the web server exits; returns an exit code."""
    while not should_stop():
        now = time.monotonic()
        for name, child in children.items():
            if child.restart_at is not None:
                if now >= child.restart_at:
                    child.restarts += 1
                    child.start()
                continue
            if child.exited():
                if name not in RESTARTED:
                    print(f"{name} exited with {child.process.returncode}; stopping the others.")
                    return child.process.returncode or 1
                child.schedule_restart(now)
        time.sleep(0.5)
    return 0


def child_environment(environ) -> dict[str, str]:
    """The environment of the web server, the worker and beat. The port goes
    to every one of them, even one only `.env` names (the settings would read
    it there, this script does not): the worker renders the links in mail on
    KAMPUNG_BASE_URL, which follows it unless set (config/settings/base.py)."""
    env = {**environ, "PYTHONUNBUFFERED": "1", "KAMPUNG_PORT": PORT}
    env.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    return env


def web_answers(host: str, port: str) -> bool:
    try:
        with socket.create_connection((host, int(port)), timeout=1):
            return True
    except OSError:
        return False


def wait_until_ready(children: dict[str, Supervised], should_stop) -> None:
    """Until the web server accepts connections and the worker and beat have
    said they are ready (at most READY_TIMEOUT_SECONDS: the banner is printed
    anyway then), or something exited."""
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline and not should_stop():
        if any(child.exited() for child in children.values()):
            return
        workers_ready = all(c.ready.is_set() for n, c in children.items() if n in READY_MARK)
        if workers_ready and web_answers(HOST, PORT):
            time.sleep(0.5)  # the last start-up lines of the others
            return
        time.sleep(0.2)


def demo_accounts() -> tuple[str, list[tuple[str, str]]]:
    """The demo password and the demo accounts in the database, (email,
    role) each; none if Django cannot be set up or the demo is not loaded."""
    try:
        import django

        sys.path.insert(0, str(ROOT))
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
        django.setup()
        from django.db import connections

        from accounts.demo import DEMO_PASSWORD, DEMO_USERS
        from accounts.models import User

        present = set(
            User.objects.filter(email__in=[e for e, _n, _s in DEMO_USERS]).values_list(
                "email", flat=True
            )
        )
        connections.close_all()
    except Exception:  # noqa: BLE001 - the banner never stops the site
        return "", []
    accounts = [
        (email, "staff, /admin/ after setting up two-factor" if staff else "shopper")
        for email, _name, staff in DEMO_USERS
        if email in present
    ]
    return DEMO_PASSWORD, accounts


def banner(demo: tuple[str, list[tuple[str, str]]]) -> str:
    password, accounts = demo
    lines = ["", "=" * 64, f"Kampung is running on http://{HOST}:{PORT}/", ""]
    if accounts:
        lines.append(f"Demo accounts (password for all: {password}):")
        lines += [f"  {email:<24} {role}" for email, role in accounts]
        lines.append("")
    lines += [
        "Mail is printed here and saved under var/mail/.",
        "Ctrl-C stops everything.",
        "=" * 64,
    ]
    return "\n".join(lines) + "\n"


def main() -> int:
    env = child_environment(os.environ)
    stopping = False

    def stop(*_args) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)

    children = {name: Supervised(name, command, env) for name, command in COMMANDS.items()}
    for child in children.values():
        child.start()
    wait_until_ready(children, lambda: stopping)
    if not stopping:
        print(banner(demo_accounts()), flush=True)

    exit_code = supervise(children, lambda: stopping)
    processes = {name: child.process for name, child in children.items() if child.process}

    for name, process in processes.items():
        if process.poll() is None:
            if name == "web":
                # runserver's autoreloader parent does not forward signals.
                os.killpg(process.pid, signal.SIGTERM)
            else:
                # Celery's main process shuts its pool down warmly by itself.
                process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 15
    for process in processes.values():
        try:
            process.wait(timeout=max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    # Worker children may outlive their parent in the group; sweep the groups.
    for process in processes.values():
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    print("Stopped web, worker and beat.", flush=True)
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
