"""`make run`: the web server, a Celery worker and Celery beat, together.

Ctrl-C (or SIGTERM) stops all three and everything they started; nothing is
left running. If one of them dies, the others are stopped too."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
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


def main() -> int:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    processes: dict[str, subprocess.Popen] = {}
    stopping = False

    def stop(*_args) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)

    for name, command in COMMANDS.items():
        # Own process group each, so one signal reaches a process and its children.
        processes[name] = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
    print(f"\nKampung is running on http://{HOST}:{PORT}/  (Ctrl-C stops everything)\n", flush=True)

    exit_code = 0
    while not stopping:
        for name, process in processes.items():
            if process.poll() is not None:
                print(f"{name} exited with {process.returncode}; stopping the others.", flush=True)
                exit_code = process.returncode or 1
                stopping = True
                break
        time.sleep(0.5)

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
