"""Helpers of the worker-kill and two-beat fault tests: a mail server that can hold one message
half-way (so that a task is caught in flight) and a prefork Celery worker whose pool child can be
killed. Process start/stop and the plain counting mail server are tests/reliability/stack.py's.
"""

import re
import socketserver
import threading
from collections import Counter
from dataclasses import dataclass, field
from email import message_from_bytes
from email import policy as email_policy


class _HoldingSmtpHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP for Django's backend. When the sink is armed, the DATA command that
    reaches it is never answered: the client waits in the middle of its send until it dies."""

    timeout = 90  # a held connection whose client never dies ends here, not with the test run

    def _say(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        sink: HoldingSmtpSink = self.server.sink
        self._say("220 sink ESMTP")
        recipients: list[str] = []
        while line := self.rfile.readline():
            verb = line.decode(errors="replace").strip().split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                self._say("250 sink")
            elif verb == "MAIL":
                recipients = []
                self._say("250 OK")
            elif verb == "RCPT":
                match = re.search(rb"<([^>]*)>", line)
                recipients.append(match.group(1).decode() if match else "")
                self._say("250 OK")
            elif verb == "DATA":
                if sink.take_hold(at="DATA"):
                    # No "354": the message is not accepted. The sender's death closes the
                    # connection (readline returns b""), and nothing was delivered.
                    while self.rfile.readline():
                        pass
                    sink.note_dropped(recipients)
                    return
                self._say("354 go on")
                data = []
                while (chunk := self.rfile.readline()) not in (b".\r\n", b".\n", b""):
                    data.append(chunk[1:] if chunk.startswith(b"..") else chunk)
                message = message_from_bytes(b"".join(data), policy=email_policy.default)
                sink.accepted(recipients, message)
                self._say("250 queued")
            elif verb == "QUIT":
                if sink.take_hold(at="QUIT"):
                    # The message is accepted; only the goodbye is withheld.
                    while self.rfile.readline():
                        pass
                    return
                self._say("221 bye")
                return
            else:  # RSET, NOOP and the rest
                self._say("250 OK")


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


@dataclass
class HoldingSmtpSink:
    """A real SMTP server on a free loopback port, in a thread of the test. It counts each
    message it accepts as (recipient, subject); `arm(after=n)` makes it accept n more messages
    and then hold the next one at its DATA command, setting `holding`, until the sender dies."""

    messages: Counter = field(default_factory=Counter)
    dropped: list = field(default_factory=list)
    holding: threading.Event = field(default_factory=threading.Event)
    _hold_after: int | None = None
    _hold_at: str = "DATA"
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: _Server | None = None

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    def start(self) -> None:
        self._server = _Server(("127.0.0.1", 0), _HoldingSmtpHandler)
        self._server.sink = self
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def arm(self, *, after: int, at: str = "DATA") -> None:
        """Hold the connection at the `after`+1st `at` command from now: "DATA" (the message is
        never accepted) or "QUIT" (it is accepted, the goodbye never answered)."""
        with self._lock:
            self._hold_after = after
            self._hold_at = at
            self.holding.clear()

    def take_hold(self, *, at: str) -> bool:
        with self._lock:
            if self._hold_after is None or at != self._hold_at:
                return False
            if self._hold_after > 0:
                self._hold_after -= 1
                return False
            self._hold_after = None
        self.holding.set()
        return True

    def note_dropped(self, recipients: list[str]) -> None:
        with self._lock:
            self.dropped.append(tuple(recipients))

    def accepted(self, recipients: list[str], message) -> None:
        subject = " ".join(str(message["subject"] or "").split())
        with self._lock:
            for to in recipients:
                self.messages[(to, subject)] += 1

    def snapshot(self) -> Counter:
        with self._lock:
            return Counter(self.messages)


def prefork_worker(name: str, *, concurrency: int = 1, include: str = "") -> list[str]:
    """A worker as production runs it (prefork: a main process and its pool children), so a
    killed child is noticed by the main process, which rejects the task back to the broker
    (task_reject_on_worker_lost) and starts a new child."""
    args = [
        "celery", "-A", "servicedesk", "worker", "--pool", "prefork",
        "--concurrency", str(concurrency), "-n", f"{name}@%h",
        "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "INFO",
    ]  # fmt: skip
    if include:
        args += ["-I", include]
    return args


def stop_worker(proc) -> None:
    """SIGTERM to a prefork worker's main process only: it shuts its pool down itself. (A
    SIGTERM to the whole group, as stack.stop sends, reaches the children first, and the main
    process then waits out its grace period.) SIGKILL to the group if it is still up after 10 s."""
    import contextlib
    import os
    import signal
    import subprocess

    if proc.alive():
        with contextlib.suppress(ProcessLookupError):
            os.kill(proc.process.pid, signal.SIGTERM)
    try:
        proc.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.process.pid, signal.SIGKILL)
        proc.process.wait(timeout=5)
