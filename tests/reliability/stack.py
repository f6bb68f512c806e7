"""The desk's real processes for the fault tests: gunicorn, Celery worker and beat started as they
are in production, a mail server that counts what it receives, and client threads that drive
steady load and time every request.

tests/core/test_stateless.py starts its processes the same way; this module is the reusable form
for tests/reliability (the fault tests stop Redis or PostgreSQL under these processes).
"""

import contextlib
import os
import re
import signal
import socketserver
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from email import message_from_bytes
from email import policy as email_policy
from pathlib import Path

import httpx
from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)


# --- processes ------------------------------------------------------------------------------------


@dataclass
class Proc:
    name: str
    process: subprocess.Popen
    log: Path
    port: int | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def alive(self) -> bool:
        return self.process.poll() is None

    def children(self) -> set[int]:
        """Pids whose parent is this process (gunicorn's workers), read from /proc."""
        found = set()
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError, IndexError, ValueError):
                # The command name, in parentheses, may hold spaces: split after its ")".
                fields = stat.read_text().rsplit(")", 1)[1].split()
                if int(fields[1]) == self.process.pid:
                    found.add(int(stat.parent.name))
        return found


def start(name: str, args: list[str], env: dict, logdir: Path, port: int | None = None) -> Proc:
    """`python -m <args>` in its own session (so that stopping it stops its children)."""
    log = logdir / f"{name}.log"
    with log.open("ab") as out:
        process = subprocess.Popen(  # noqa: S603 - a fixed interpreter and arguments
            [sys.executable, "-m", *args],
            cwd=BASE_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return Proc(name=name, process=process, log=log, port=port)


def stop(procs: list[Proc]) -> None:
    """SIGTERM each process group we started, then SIGKILL what is left after a grace period."""
    for p in procs:
        if p.alive():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(p.process.pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    for p in procs:
        try:
            p.process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(p.process.pid, signal.SIGKILL)
            p.process.wait(timeout=5)


def gunicorn(port: int, workers: int = 2) -> list[str]:
    return [
        "gunicorn",
        "servicedesk.wsgi:application",
        "-w",
        str(workers),
        "-b",
        f"127.0.0.1:{port}",
        "--graceful-timeout",
        "5",
        # gunicorn's own limit: a request hanging this long is killed (and shows as a dropped
        # connection), well above any bound the tests check.
        "--timeout",
        "30",
        "--no-control-socket",  # see tests/core/test_stateless.py
    ]


def celery_worker(name: str) -> list[str]:
    return [
        "celery", "-A", "servicedesk", "worker", "--pool", "solo", "--concurrency", "1",
        "-n", f"{name}@%h", "--without-gossip", "--without-mingle", "-l", "INFO",
    ]  # fmt: skip


def celery_beat(schedule: Path) -> list[str]:
    # Its own schedule file: var/celerybeat-schedule belongs to `make run`.
    return ["celery", "-A", "servicedesk", "beat", "-s", str(schedule), "-l", "INFO"]


def web_ready(p: Proc) -> bool:
    """The sign-in page answers (not /healthz, which also wants the broker and the workers)."""
    try:
        return httpx.get(f"{p.url}/accounts/login/", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def wait_ready(procs: list[Proc], seconds: float) -> None:
    checks = {
        "web": web_ready,
        "worker": lambda p: re.search(r"\bready\.", p.output()) is not None,
        "beat": lambda p: "beat: Starting" in p.output(),
    }
    pending = list(procs)
    deadline = time.monotonic() + seconds
    while pending and time.monotonic() < deadline:
        for p in list(pending):
            if not p.alive():
                raise AssertionError(f"{p.name} exited early\n{logs(procs)}")
            kind = "web" if p.port else p.name.split("-")[0]
            if checks[kind](p):
                pending.remove(p)
        time.sleep(0.2)
    if pending:
        raise AssertionError(f"not ready: {[p.name for p in pending]}\n{logs(procs)}")


def logs(procs: list[Proc], tail: int = 3000) -> str:
    return "\n".join(f"--- {p.name} ---\n{p.output()[-tail:]}" for p in procs)


# --- a mail server that counts --------------------------------------------------------------------


class _SmtpHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP for Django's backend: EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT. The sink
    may hold a connection at DATA (the message is never accepted) or at QUIT (accepted, the
    goodbye never answered) until the sender dies: see faults.HoldingSmtpSink."""

    timeout = 90  # a held connection whose client never dies ends here, not with the test run

    def _say(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def _wait_for_the_sender_to_die(self) -> None:
        while self.rfile.readline():
            pass

    def handle(self) -> None:
        sink = self.server.sink
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
                    self._wait_for_the_sender_to_die()
                    sink.note_dropped(recipients)
                    return
                self._say("354 go on")
                data = []
                while (chunk := self.rfile.readline()) not in (b".\r\n", b".\n", b""):
                    data.append(chunk[1:] if chunk.startswith(b"..") else chunk)
                message = message_from_bytes(b"".join(data), policy=email_policy.default)
                sink.received(recipients, message)
                self._say("250 queued")
            elif verb == "QUIT":
                if sink.take_hold(at="QUIT"):
                    self._wait_for_the_sender_to_die()
                    return
                self._say("221 bye")
                return
            else:  # RSET, NOOP and the rest
                self._say("250 OK")


class _SmtpServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


@dataclass
class SmtpSink:
    """A real SMTP server on a free loopback port, in a thread of the test: it records each
    message it accepts as (recipient, subject), so a test can tell sent once from sent twice."""

    messages: Counter = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: _SmtpServer | None = None

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    def start(self) -> None:
        self._server = _SmtpServer(("127.0.0.1", 0), _SmtpHandler)
        self._server.sink = self
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def take_hold(self, *, at: str) -> bool:
        """Whether to hold this connection at its `at` command; this sink never does."""
        return False

    def note_dropped(self, recipients: list[str]) -> None:
        """A held message whose sender died: never delivered."""

    def received(self, recipients: list[str], message) -> None:
        subject = " ".join(str(message["subject"] or "").split())
        with self._lock:
            for to in recipients:
                self.messages[(to, subject)] += 1

    def snapshot(self) -> Counter:
        with self._lock:
            return Counter(self.messages)


# --- load -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Hit:
    """One request: when it started and ended (monotonic seconds), what it was, what came back
    (the HTTP status, or 0 with the error when no answer came)."""

    started: float
    ended: float
    label: str
    status: int
    error: str = ""

    @property
    def took(self) -> float:
        return self.ended - self.started


class Load:
    """Client threads, each running `script(client, hit, n)` in a loop until stopped; `hit`
    times one request and records it. A script raising stops only its own iteration."""

    def __init__(self, script: Callable, *, threads: int, pause: float = 0.1):
        self.script = script
        self.threads = threads
        self.pause = pause
        self.hits: list[Hit] = []
        self.problems: list[str] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._go = threading.Event()
        self._go.set()
        self._busy = 0
        self._workers: list[threading.Thread] = []

    def hit(self, label: str, call: Callable[[], httpx.Response]) -> httpx.Response | None:
        started = time.monotonic()
        try:
            response = call()
        except httpx.HTTPError as exc:
            with self._lock:
                self.hits.append(
                    Hit(started, time.monotonic(), label, 0, f"{type(exc).__name__}: {exc}")
                )
            return None
        with self._lock:
            self.hits.append(Hit(started, time.monotonic(), label, response.status_code))
        return response

    def _run(self, index: int) -> None:
        n = 0
        while not self._stop.is_set():
            with self._lock:  # checked and counted at once: hold() sees every round it lets run
                running = self._go.is_set()
                self._busy += running
            if not running:
                self._go.wait(0.1)
                continue
            try:
                self.script(index, self.hit, n)
            except Exception as exc:  # noqa: BLE001 - noted, the thread keeps loading
                with self._lock:
                    self.problems.append(f"thread {index}: {type(exc).__name__}: {exc}")
            finally:
                with self._lock:
                    self._busy -= 1
            n += 1
            self._stop.wait(self.pause)

    def start(self) -> None:
        for index in range(self.threads):
            thread = threading.Thread(target=self._run, args=(index,), daemon=True)
            thread.start()
            self._workers.append(thread)

    def hold(self, seconds: float = 40) -> None:
        """Let the rounds under way finish and start no new one until `resume()`: the site
        quiet, as at night."""
        with self._lock:
            self._go.clear()
        wait_for(lambda: self._busy == 0, seconds, step=0.05)

    def resume(self) -> None:
        self._go.set()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._workers:
            thread.join(timeout=40)

    def between(self, since: float, until: float = float("inf")) -> list[Hit]:
        with self._lock:
            return [h for h in self.hits if since <= h.started < until]


def wait_for(condition: Callable[[], bool], seconds: float, step: float = 0.5) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return condition()


def csrf(html: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def sign_in(client: httpx.Client, base: str, username: str, password: str) -> None:
    page = client.get(f"{base}/accounts/login/")
    answer = client.post(
        f"{base}/accounts/login/",
        data={
            "csrfmiddlewaretoken": csrf(page.text),
            "username": username,
            "password": password,
            "next": "",
        },
    )
    assert answer.status_code == 302, f"sign-in refused: {answer.status_code} {answer.text[:500]}"
