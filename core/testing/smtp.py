"""Mail servers for fault tests, each a socket server in a thread on a free
loopback port: one that accepts connections and never says a word, and a
minimal SMTP sink that counts the messages it accepted (replied 250 to).

    with SmtpSink() as sink:
        settings.MAILERS = sink.mailers(timeout=2)
        ...
        assert len(sink.messages) == 1
"""

from __future__ import annotations

import contextlib
import select
import socket
import threading
import time
from email import message_from_bytes
from email.message import Message

SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"


class _Server:
    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self.port = self._listener.getsockname()[1]
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._connections: list[socket.socket] = []
        self.accepted = threading.Event()

    def mailers(self, *, timeout: float | None) -> dict:
        options = {"host": "127.0.0.1", "port": self.port}
        if timeout is not None:
            options["timeout"] = timeout
        return {"default": {"BACKEND": SMTP_BACKEND, "OPTIONS": options}}

    def __enter__(self):
        thread = threading.Thread(target=self._accept_loop, daemon=True)
        thread.start()
        self._threads.append(thread)
        return self

    def __exit__(self, *exc_info) -> None:
        self._stopping.set()
        for conn in self._connections:
            with contextlib.suppress(OSError):
                conn.close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._listener.close()

    def _accept_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                conn, _address = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self._connections.append(conn)
            self.accepted.set()
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _serve(self, conn: socket.socket) -> None:
        raise NotImplementedError


class HungSmtpServer(_Server):
    """Accepts the TCP connection, then never answers (not even the 220
    greeting): a mail server stuck under load, or a firewall that eats
    packets."""

    def _serve(self, conn: socket.socket) -> None:
        while not self._stopping.wait(0.1):
            pass


class DripSmtpServer(_Server):
    """Sends a never-ending multi-line greeting, one line every `interval`
    seconds: each read returns within any socket timeout, so only the task's
    time limit can stop a client."""

    def __init__(self, *, interval: float = 0.5) -> None:
        super().__init__()
        self.interval = interval

    def _serve(self, conn: socket.socket) -> None:
        try:
            while not self._stopping.wait(self.interval):
                conn.sendall(b"220-still warming up\r\n")
        except OSError:
            return


class SmtpSink(_Server):
    """Enough SMTP for Django's SMTP backend. A message counts once the sink
    has replied 250 to its DATA: if the client goes away before that (a
    killed worker), the message is dropped, as a real server drops it.

    `reply_delay`: seconds to wait before that 250, a slow server."""

    def __init__(self, *, reply_delay: float = 0.0) -> None:
        super().__init__()
        self.reply_delay = reply_delay
        self.messages: list[Message] = []
        self._lock = threading.Lock()
        self.data_received = threading.Event()

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(30)
        reader = conn.makefile("rb")
        try:
            conn.sendall(b"220 sink ESMTP\r\n")
            while not self._stopping.is_set():
                line = reader.readline()
                if not line:
                    return
                verb = line.strip().split(b" ", 1)[0].upper()
                if verb == b"EHLO":
                    conn.sendall(b"250-sink\r\n250 8BITMIME\r\n")
                elif verb == b"DATA":
                    conn.sendall(b"354 go ahead\r\n")
                    raw = self._read_data(reader)
                    self.data_received.set()
                    if self.reply_delay and self._stopping.wait(self.reply_delay):
                        return
                    if _client_gone(conn):
                        return  # nobody to take the 250: the message is dropped
                    conn.sendall(b"250 queued\r\n")
                    with self._lock:
                        self.messages.append(message_from_bytes(raw))
                elif verb == b"QUIT":
                    conn.sendall(b"221 bye\r\n")
                    return
                else:  # HELO, MAIL, RCPT, RSET, NOOP
                    conn.sendall(b"250 ok\r\n")
        except OSError:
            return
        finally:
            reader.close()
            conn.close()

    @staticmethod
    def _read_data(reader) -> bytes:
        lines = []
        while True:
            line = reader.readline()
            if not line or line in (b".\r\n", b".\n"):
                return b"".join(lines)
            lines.append(line[1:] if line.startswith(b"..") else line)

    def wait_for(self, count: int, *, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.messages) >= count:
                return True
            time.sleep(0.05)
        return len(self.messages) >= count


def _client_gone(conn: socket.socket) -> bool:
    """Whether the client closed its end (a killed process's kernel does)."""
    ready, _, _ = select.select([conn], [], [], 0)
    if not ready:
        return False
    try:
        return conn.recv(1, socket.MSG_PEEK) == b""
    except OSError:
        return True
