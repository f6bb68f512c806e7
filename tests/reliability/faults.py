"""Helpers of the worker-kill and two-beat fault tests: a mail server that can hold one message
half-way (so that a task is caught in flight) and a prefork Celery worker whose pool child can be
killed. Process start/stop and the mail server itself are tests/reliability/stack.py's.
"""

import threading
from dataclasses import dataclass, field

from tests.reliability.stack import SmtpSink


@dataclass
class HoldingSmtpSink(SmtpSink):
    """The counting mail server, which `arm(after=n)` makes accept n more messages and then hold
    the next connection, setting `holding`, until the sender dies."""

    dropped: list = field(default_factory=list)
    holding: threading.Event = field(default_factory=threading.Event)
    _hold_after: int | None = None
    _hold_at: str = "DATA"

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
