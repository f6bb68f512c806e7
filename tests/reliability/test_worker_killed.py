"""A worker killed with SIGKILL in the middle of a task: the task runs again, and its side effects
happen once.

The side effect is an e-mail reaching a real SMTP server (a sink in this test, on a loopback
port): outside the worker and the database, so "sent" is what the server accepted. One
core.email_send task carries three queued e-mails; the sink accepts the first and holds the
second at its DATA command, so the task is caught half-way, with one e-mail out and its row lock
held. The test then SIGKILLs the pool child running it. The worker's main process notices the
lost child, rejects the message back to the broker (acks_late + reject_on_worker_lost, set in
settings) and starts a new child, which runs the task again: the first e-mail is already marked
sent (its own transaction committed), the second's half-done send rolled back with the dead
connection, so each goes out once.

The same worker also imports tests/reliability/broken_tasks.py, and two broken variants run the
same kill: without the "still queued?" re-check (the idempotency key) the first e-mail goes out
twice; with acks_late off the killed task is never repeated and the rest are lost.

A second hold point catches the task after the server accepted the first e-mail, while the
server is slow to answer the connection's QUIT: core.email_send closes the connection only after
its commit, so the repeat finds that e-mail sent; its earlier form (QUIT inside the transaction,
the broken variant `broken.email_send_goodbye_first`) sent it twice. The window that no design
closes is the commit's own round trip after the server's "250 queued".

A second test kills the whole worker (main process and child) instead: nothing is left to give
the task back to the broker, so a new worker does not get it before the broker's visibility
timeout (an hour); beat's e-mail sweep sends the queued rest, and again each goes out once.

Runs on PostgreSQL (the workers are other processes) with a Redis of the test's own as broker;
about 15 s + 35 s once the database is set up: the acks-early variant waits 10 s for a repeat
that never comes, and the sweep leaves a row alone for its first 30 s.
"""

import os
import secrets
import signal
import time
from collections import Counter

import pytest
from celery import Celery
from django.conf import settings

from servicedesk.core.models import EmailState, OutboundEmail
from tests.conftest import IN_CI
from tests.processes import desk_env
from tests.reliability import stack
from tests.reliability.faults import HoldingSmtpSink, prefork_worker, stop_worker
from tests.reliability.figures import report

ON_POSTGRES = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
AREA = "Worker killed mid-task"
START_TIMEOUT = 30  # seconds for the worker to be ready
HOLD_TIMEOUT = 20  # seconds for the task to reach the held e-mail
DONE_TIMEOUT = 30  # seconds for the repeated task to send the rest
LOST_WAIT = 10  # seconds the acks-early variant is given to repeat the task (it never does)
SWEEP_TIMEOUT = 75  # seconds for beat's e-mail sweep (30 s grace, every 5 s) to send the rest

pytestmark = [
    pytest.mark.worker,
    pytest.mark.skipif(
        not ON_POSTGRES and not IN_CI,
        reason="needs PostgreSQL (DATABASE_URL): a worker process cannot share SQLite's test DB",
    ),
]


@pytest.fixture
def sink():
    server = HoldingSmtpSink()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def env(transactional_db, own_redis, sink):
    """The desk processes' environment: this run's test database, the test's own Redis, e-mail
    through the sink."""
    if not ON_POSTGRES:  # only reached under CI, where a missing service must fail, not skip
        pytest.fail("CI=true but the database is not PostgreSQL: set DATABASE_URL")
    return desk_env(
        redis_url=own_redis.url,
        broker_url=own_redis.url,
        secret_key=secrets.token_urlsafe(50),
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(sink.port),
        EMAIL_TIMEOUT="60",  # longer than the hold: the kill, not a timeout, ends the send
    )


@pytest.fixture
def started(tmp_path):
    """start(name, args, env) -> a Proc, stopped (whatever happens) when the test ends."""
    procs: list[stack.Proc] = []

    def start(name: str, args: list[str], env: dict) -> stack.Proc:
        proc = stack.start(name, args, env, tmp_path)
        procs.append(proc)
        stack.wait_ready([proc], START_TIMEOUT)
        return proc

    yield start
    for proc in procs:
        stop_worker(proc)  # SIGTERM, then SIGKILL to the group: fine for beat too


@pytest.fixture
def worker(env, started):
    """A prefork worker (one child) that also knows the broken variants' tasks."""
    return started(
        "worker-killed", prefork_worker("killed", include="tests.reliability.broken_tasks"), env
    )


@pytest.fixture
def publisher(own_redis):
    """Publishes to the worker's broker by task name, as the desk's outbox does."""
    app = Celery("publisher", broker=own_redis.url, set_as_current=False)
    yield app
    app.close()


def _hold_mid_task(
    worker, sink, publisher, task: str, tag: str, *, at: str = "DATA"
) -> list[OutboundEmail]:
    """Queue three e-mails and send them in one `task`; return once the task is held in flight:
    at "DATA", the first e-mail accepted and the second held before the server takes it; at
    "QUIT", the first accepted and its connection's goodbye never answered."""
    rows = [
        OutboundEmail.objects.create(
            to=f"customer{i}@example.com", subject=f"[{tag}] notice {i}", body="Your visit."
        )
        for i in range(3)
    ]
    sink.arm(after=1 if at == "DATA" else 0, at=at)
    publisher.send_task(task, args=[row.pk for row in rows])
    assert sink.holding.wait(HOLD_TIMEOUT), stack.logs([worker])
    return rows


def _accepted(sink, tag: str) -> Counter:
    return Counter({key: n for key, n in sink.snapshot().items() if key[1].startswith(f"[{tag}]")})


def _kill_mid_task(worker, sink, publisher, task: str, tag: str, *, wait: float, at: str = "DATA"):
    """SIGKILL the pool child while `task` is held half-way, and wait up to `wait` seconds for
    all three e-mails to be sent. Returns (rows, accepted)."""
    children = worker.children()
    assert len(children) == 1, f"one pool child expected, found {children}"
    rows = _hold_mid_task(worker, sink, publisher, task, tag, at=at)
    (child,) = children
    os.kill(child, signal.SIGKILL)

    def accepted() -> Counter:
        return _accepted(sink, tag)

    stack.wait_for(lambda: len(accepted()) == len(rows), wait)
    # The main process is still up, with a new child in place of the killed one.
    assert worker.alive(), stack.logs([worker])
    assert stack.wait_for(lambda: worker.children() - {child}, 10), stack.logs([worker])
    return rows, accepted()


def _figures(rows, accepted: Counter) -> tuple[int, int]:
    """(side effects duplicated, e-mails lost): extra acceptances, and e-mails never accepted."""
    expected = {(row.to, row.subject) for row in rows}
    duplicated = sum(n - 1 for n in accepted.values() if n > 1)
    lost = len(expected - set(accepted))
    return duplicated, lost


def test_worker_sigkilled_mid_task_repeats_it_and_sends_each_email_once(worker, sink, publisher):
    # given three queued e-mails in one task, the second held at the mail server when its pool
    # child is killed
    rows, accepted = _kill_mid_task(
        worker, sink, publisher, "core.email_send", "real", wait=DONE_TIMEOUT
    )

    # then the task ran again and each e-mail reached the server exactly once
    duplicated, lost = _figures(rows, accepted)
    detail = f"3 e-mails in one task; accepted {sorted(accepted.values())}"
    report(AREA, "side effects duplicated after SIGKILL", duplicated, 0,
           ok=duplicated == 0, detail=detail)  # fmt: skip
    report(AREA, "tasks lost after SIGKILL", lost, 0, ok=lost == 0, detail=detail)
    assert duplicated == 0, accepted
    assert lost == 0, f"{accepted}\n{stack.logs([worker])}"
    assert len(sink.dropped) == 1  # the held send died with its process
    assert "WorkerLostError" in worker.output() or "SIGKILL" in worker.output()
    states = {
        (e.state, e.attempts) for e in OutboundEmail.objects.filter(pk__in=[r.pk for r in rows])
    }
    # the killed attempt on the second e-mail rolled back with its connection: one attempt each
    assert states == {(EmailState.SENT, 1)}

    # when the kill comes after the server accepted the first e-mail, while it is slow to
    # answer the connection's goodbye (QUIT)
    rows, accepted = _kill_mid_task(
        worker, sink, publisher, "core.email_send", "goodbye", wait=DONE_TIMEOUT, at="QUIT"
    )
    # then the first e-mail was already recorded as sent (the connection closes after the
    # commit), and the repeated task sends only the other two
    duplicated, lost = _figures(rows, accepted)
    detail = f"killed while QUIT went unanswered; accepted {sorted(accepted.values())}"
    report(AREA, "side effects duplicated after SIGKILL after the server accepted", duplicated,
           0, ok=duplicated == 0, detail=detail)  # fmt: skip
    assert (duplicated, lost) == (0, 0), accepted

    # when the same kill hits the task as it was before that fix (QUIT inside the transaction)
    rows, accepted = _kill_mid_task(
        worker, sink, publisher, "broken.email_send_goodbye_first", "goodbye-first",
        wait=DONE_TIMEOUT, at="QUIT",
    )  # fmt: skip
    # then the accepted e-mail still read queued and went out again
    duplicated, _lost = _figures(rows, accepted)
    report(AREA, "side effects duplicated after SIGKILL in the broken variant (QUIT before "
           "commit)", duplicated, "> 0", ok=duplicated > 0,
           detail=f"accepted {sorted(accepted.values())}")  # fmt: skip
    assert duplicated > 0, accepted

    # when the same kill hits the task without its idempotency key (the "still queued?"
    # re-check under the row lock)
    rows, accepted = _kill_mid_task(
        worker, sink, publisher, "broken.email_send_no_recheck", "no-recheck", wait=DONE_TIMEOUT
    )
    # then the first e-mail, sent before the kill, is sent again by the repeated task
    duplicated, _lost = _figures(rows, accepted)
    report(AREA, "side effects duplicated after SIGKILL in the broken variant (no re-check)",
           duplicated, "> 0", ok=duplicated > 0,
           detail=f"accepted {sorted(accepted.values())}")  # fmt: skip
    assert duplicated > 0, accepted

    # when the same kill hits the task with acks_late off
    started = time.monotonic()
    rows, accepted = _kill_mid_task(
        worker, sink, publisher, "broken.email_send_acks_early", "acks-early", wait=LOST_WAIT
    )
    # then the broker had already forgotten it: the e-mails after the kill are never sent
    _duplicated, lost = _figures(rows, accepted)
    report(AREA, "tasks lost after SIGKILL in the broken variant (acks_late off)", lost, "> 0",
           ok=lost > 0,
           detail=f"nothing repeated in {time.monotonic() - started:.0f} s; beat's e-mail sweep "
           "would still find the rows later")  # fmt: skip
    assert lost > 0, accepted


def test_whole_worker_sigkilled_mid_task_a_new_worker_and_the_sweep_send_each_email_once(
    env, started, sink, publisher
):
    """The whole worker dies (main process and child, as with the OOM killer or a lost host):
    no main process is left to give the task back. The broker keeps it unacknowledged until its
    visibility timeout (an hour); meanwhile a new worker and beat's e-mail sweep (every 5 s here,
    tests/reliability/beat_settings.py; its 30 s grace period as shipped) send what is queued."""
    first = started("worker-first", prefork_worker("first"), env)
    rows = _hold_mid_task(first, sink, publisher, "core.email_send", "whole")

    # when the worker's whole process group is SIGKILLed and a new worker and beat start
    os.killpg(first.process.pid, signal.SIGKILL)
    first.process.wait(timeout=10)
    beat_env = {**env, "DJANGO_SETTINGS_MODULE": "tests.reliability.beat_settings"}
    started("worker-second", prefork_worker("second"), env)
    started("beat-sweeps", stack.celery_beat(first.log.parent / "beat-sweeps"), beat_env)

    # then each e-mail reaches the server exactly once
    stack.wait_for(lambda: len(_accepted(sink, "whole")) == len(rows), SWEEP_TIMEOUT)
    accepted = _accepted(sink, "whole")
    duplicated, lost = _figures(rows, accepted)
    detail = f"3 e-mails in one task; accepted {sorted(accepted.values())}; sent by the sweep"
    report(AREA, "side effects duplicated after SIGKILL of the whole worker", duplicated, 0,
           ok=duplicated == 0, detail=detail)  # fmt: skip
    report(AREA, "tasks lost after SIGKILL of the whole worker", lost, 0, ok=lost == 0,
           detail=detail)  # fmt: skip
    assert duplicated == 0, accepted
    assert lost == 0, accepted
    assert set(
        OutboundEmail.objects.filter(pk__in=[r.pk for r in rows]).values_list("state", flat=True)
    ) == {EmailState.SENT}
