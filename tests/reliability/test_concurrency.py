"""Issue 13, item 3: concurrency. On PostgreSQL, 20 clients each make RELIABILITY_ROUNDS (500)
rounds of conflicting edits on one service record, one complaint and one callback visit, through
the real API with optimistic versions: each round reads (GET → ETag) and writes a value unique to
(client, round) with the version it read.

What must hold, per object: every write is applied (2xx) or refused with a 409; no update is lost
(every applied value is in the history, in order, one history row per applied write, and the row
ends at the last applied write); the version goes up by exactly one per applied write.

Clients are threads in this process, each with its own APIClient, API token and database
connection: the requests go through DRF's whole stack (authentication, the views, the services'
row locks) against the real database, without an HTTP server in between. The threads share the
GIL, so they interleave at every query, which is where the races are. (Through gunicorn with 4
workers and HTTP clients the same 20 × 50 race on a record took 68 s against 28 s here, on the
same 2-core machine: every write to the one row queues on its lock either way, and the HTTP hop
only adds time.)

Runtime: the full run (3 × 20 × 500 rounds: 30,000 writes and 30,000 reads, then the broken
variant) took 21 min 40 s on this 2-core machine while other test runs shared it (record 326 s,
complaint 647 s, visit 243 s, broken variant 31 s), and 16 min of CPU in this process: about
16 ms of Python per request, one core's worth (the GIL), so it cannot fit in a few minutes here.
The complaint is slowest because its GET answers every step taken so far (600 by the end).
RELIABILITY_ROUNDS=25 runs all of it in about a minute.

To show the test can fail, the same race runs on a record with the services' row lock taken away
(`lock_current` reads the row without SELECT ... FOR UPDATE, so two writers can both pass the
version check): that variant must lose updates.
"""

import json
import os
import time
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from threading import Barrier, Lock, Thread

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from followups.models import CallbackVisit
from servicedesk.core import concurrency
from servicedesk.core import services as core_services
from servicedesk.core.roles import Role
from tests.factories import CustomerFactory, DepartmentFactory, MembershipFactory, UserFactory
from tests.followups.factories import VisitFactory
from tests.reliability.figures import report
from tests.tickets.factories import installation_category
from tickets import services as record_services
from tickets.complaints import services as complaint_services
from tickets.complaints.models import Complaint, ComplaintStepEntry, Step
from tickets.models import ServiceRecord

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL"
    ),
]

AREA = "Concurrency"
CLIENTS = 20
# The 500; a developer may run a quick version with RELIABILITY_ROUNDS=20.
ROUNDS = int(os.environ.get("RELIABILITY_ROUNDS", "500"))
# The broken variant only has to show a lost update, which a few hundred writes always do.
BROKEN_ROUNDS = min(ROUNDS, 50)
# A client stuck this long is a deadlock, not slowness: fail instead of hanging the suite.
JOIN_TIMEOUT = max(300, 3 * ROUNDS)

RECORDS = "/api/v1/service-records/"
COMPLAINTS = "/api/v1/complaints/"
CALLBACKS = "/api/v1/callbacks/"


@dataclass(frozen=True)
class Answer:
    client: int
    round: int
    value: str
    read_version: int
    status: int


def value_for(client: int, round_: int) -> str:
    return f"c{client:02d}-r{round_:04d}"


# --- the three objects and how each is edited -------------------------------------------------


class RecordTarget:
    """PATCH the subject of one service record."""

    name = "service record"
    model = ServiceRecord

    def __init__(self, record: ServiceRecord):
        self.pk = record.pk
        self.url = f"{RECORDS}{record.pk}/"

    def write(self, api, read, version: int, value: str, client: int, round_: int):
        return api.send("PATCH", self.url, {"subject": value, "version": version})

    def history(self, since: int) -> list[tuple[int, str]]:
        rows = ServiceRecord.history.filter(id=self.pk, history_id__gt=since)
        return list(rows.order_by("history_id").values_list("version", "subject"))

    def history_mark(self) -> int:
        return ServiceRecord.history.order_by("-history_id").values_list("history_id", flat=True)[0]

    def final(self) -> tuple[int, str]:
        row = ServiceRecord.objects.values_list("version", "subject").get(pk=self.pk)
        return row


class ComplaintTarget:
    """Take the complaint's next step: 2 (listen) and 3 (restate, not confirmed) alternate, so the
    complaint can go on for ever; each step's text is the client's value. A client that read the
    step before another moved it on holds a stale version, which is a 409 before the step is
    compared."""

    name = "complaint"
    model = Complaint

    def __init__(self, complaint: Complaint):
        self.pk = complaint.pk
        self.url = f"{COMPLAINTS}{complaint.pk}/"

    def write(self, api, read, version: int, value: str, client: int, round_: int):
        step = read["step"]
        if step == Step.LISTEN:
            data = {"feeling": value, "want": "a new door", "thinking": "late", "facts": "2 h"}
        else:
            data = {"request": value, "confirmed": False}
        return api.send(
            "POST", f"{self.url}steps/", {"step": step, "data": data, "version": version}
        )

    def history(self, since: int) -> list[tuple[int, str]]:
        # The value lives in the step's entry; the version in the complaint's history row of the
        # same write. Both are one per applied step, in the order the steps were taken.
        versions = list(
            Complaint.history.filter(id=self.pk, history_id__gt=since)
            .order_by("history_id")
            .values_list("version", flat=True)
        )
        entries = [
            e.get("feeling") or e.get("request")
            for e in ComplaintStepEntry.objects.filter(complaint_id=self.pk, pk__gt=self.entry_mark)
            .order_by("pk")
            .values_list("data", flat=True)
        ]
        if len(versions) != len(entries):
            return [(v, "?") for v in versions] + [(-1, e) for e in entries[len(versions) :]]
        return list(zip(versions, entries, strict=True))

    def history_mark(self) -> int:
        self.entry_mark = (
            ComplaintStepEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        )
        return Complaint.history.order_by("-history_id").values_list("history_id", flat=True)[0]

    def final(self) -> tuple[int, str]:
        complaint = Complaint.objects.get(pk=self.pk)
        last = complaint.entries.order_by("-pk").first()
        return complaint.version, last.data.get("feeling") or last.data.get("request")


class VisitTarget:
    """Reschedule one callback visit: a due time and a reason unique to (client, round)."""

    name = "callback visit"
    model = CallbackVisit

    def __init__(self, visit: CallbackVisit):
        self.pk = visit.pk
        self.url = f"{CALLBACKS}{visit.pk}/"
        # Every (client, round) its own second, well inside the visit's window.
        self.base = visit.due_at + timedelta(minutes=5)

    def due_for(self, client: int, round_: int):
        return self.base + timedelta(seconds=client * ROUNDS + round_)

    def write(self, api, read, version: int, value: str, client: int, round_: int):
        body = {
            "due_at": self.due_for(client, round_).isoformat(),
            "reason": value,
            "version": version,
        }
        return api.send("POST", f"{self.url}reschedule/", body)

    def history(self, since: int) -> list[tuple[int, str]]:
        rows = CallbackVisit.history.filter(id=self.pk, history_id__gt=since)
        return list(rows.order_by("history_id").values_list("version", "history_change_reason"))

    def history_mark(self) -> int:
        return CallbackVisit.history.order_by("-history_id").values_list("history_id", flat=True)[0]

    def final(self) -> tuple[int, str]:
        visit = CallbackVisit.objects.get(pk=self.pk)
        last = visit.history.order_by("-history_id").first()
        return visit.version, last.history_change_reason


# --- the clients ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    status: int
    etag: str | None
    data: dict | None


class InProcess:
    """One client: DRF's APIClient with its own API token, on its own thread, so Django gives it
    its own database connection. The request runs DRF's whole stack (token authentication, the
    view, the service's row lock and version check) against the real database."""

    def __init__(self, key: str):
        # A server error comes back as a 500 answer, counted below, not as an exception.
        self.api = APIClient(raise_request_exception=False)
        self.api.credentials(HTTP_AUTHORIZATION=f"Token {key}")

    def send(self, method: str, url: str, body: dict | None = None) -> Reply:
        if body is None:
            answer = self.api.generic(method, url)
        else:
            answer = self.api.generic(method, url, json.dumps(body), "application/json")
        data = getattr(answer, "data", None)
        return Reply(answer.status_code, answer.get("ETag"), data)

    def close(self) -> None:
        # The thread's own database connection, which Django opened for it.
        connection.close()


# --- the race ---------------------------------------------------------------------------------


def race(target, clients: list, rounds: int) -> tuple[list[Answer], list[BaseException]]:
    """Every client, on its own thread, reads and writes `rounds` times, all starting at once."""
    answers: list[Answer] = []
    errors: list[BaseException] = []
    guard = Lock()
    start = Barrier(len(clients))

    def run(n: int, api) -> None:
        mine = []
        try:
            start.wait()
            for r in range(rounds):
                got = api.send("GET", target.url)
                if got.status != 200:
                    raise AssertionError(f"GET {target.url}: {got.status} {got.data!r}")
                version = int(got.etag.strip('"'))
                value = value_for(n, r)
                sent = target.write(api, got.data, version, value, n, r)
                mine.append(Answer(n, r, value, version, sent.status))
        except BaseException as exc:  # noqa: BLE001 - reported by the test, not lost in a thread
            with guard:
                errors.append(exc)
        finally:
            with guard:
                answers.extend(mine)
            api.close()

    threads = [Thread(target=run, args=(n, api), daemon=True) for n, api in enumerate(clients)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + JOIN_TIMEOUT
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    stuck = [t for t in threads if t.is_alive()]
    if stuck:
        errors.append(AssertionError(f"{len(stuck)} clients still running: a deadlock?"))
    return answers, errors


@dataclass
class Verdict:
    applied: list[Answer]
    refused: int
    other: Counter
    lost: int
    problems: list[str]


def judge(target, answers: list[Answer], *, start_version: int, history_mark: int) -> Verdict:
    """Compare what the clients were told with what the database kept."""
    applied = sorted((a for a in answers if 200 <= a.status < 300), key=lambda a: a.read_version)
    refused = sum(a.status == 409 for a in answers)
    other = Counter(a.status for a in answers if not (200 <= a.status < 300 or a.status == 409))
    history = target.history(history_mark)
    kept = {value for _version, value in history}
    # A lost update is an applied write that another applied write overwrote without having seen
    # it (both read the same version), or one the history does not hold at all.
    overwritten = len(applied) - len({a.read_version for a in applied})
    missing = sum(a.value not in kept for a in applied)
    lost = overwritten + missing

    problems = []
    n = len(applied)
    read_versions = [a.read_version for a in applied]
    wanted = list(range(start_version, start_version + n))
    if read_versions != wanted:
        first = next(
            i
            for i, (got, want) in enumerate(zip(read_versions, wanted, strict=True))
            if got != want
        )
        problems.append(
            f"applied write {first} read version {read_versions[first]}, not {wanted[first]}"
        )
    if len(history) != n:
        problems.append(f"{len(history)} history rows for {n} applied writes")
    expected = [(a.read_version + 1, a.value) for a in applied]
    if history != expected:
        first = next(
            (i for i, (h, e) in enumerate(zip(history, expected, strict=False)) if h != e), None
        )
        problems.append(f"history differs from the applied writes (first at {first})")
    final = target.final()
    last = (start_version + n, applied[-1].value) if applied else None
    if final != last:
        problems.append(f"the row ends at {final}, the last applied write was {last}")
    return Verdict(applied, refused, other, lost, problems)


# --- the world --------------------------------------------------------------------------------


@pytest.fixture
def desk():
    """A department with 20 agents, each with an API token; a record, a complaint at step 2 and
    a scheduled visit, all in that department."""
    department = DepartmentFactory(code="customer-service")
    agents = []
    for n in range(CLIENTS):
        user = UserFactory(username=f"agent{n:02d}", role=Role.AGENT)
        MembershipFactory(user=user, department=department)
        agents.append(user)
    keys = [core_services.api_token_create(user=u, name="race")[1] for u in agents]
    category = installation_category(department)
    first = agents[0]
    record = record_services.record_create(
        by=first,
        customer_id=CustomerFactory().pk,
        stage=category.stage,
        category_id=category.pk,
        subject="Install the wardrobe",
    )
    complaint = complaint_services.complaint_open(
        by=first,
        customer_id=CustomerFactory().pk,
        stage=category.stage,
        category_id=category.pk,
        subject="The fitter came late",
        channel="phone",
        severity="general",
    )
    complaint = complaint_services.complaint_take_step(
        by=first, complaint_id=complaint.pk, version=None, step=Step.RESPECT, data={"words": "您好"}
    )
    visit = VisitFactory(
        department=department,
        due_at=timezone.now() + timedelta(hours=1),
        window_end=timezone.now() + timedelta(days=2),
    )
    return {"keys": keys, "record": record, "complaint": complaint, "visit": visit}


def run_and_judge(target, clients: list, rounds: int) -> tuple[Verdict, float]:
    start_version = target.model.objects.values_list("version", flat=True).get(pk=target.pk)
    mark = target.history_mark()
    began = time.monotonic()
    answers, errors = race(target, clients, rounds)
    seconds = time.monotonic() - began
    assert not errors, errors[:3]
    assert len(answers) == len(clients) * rounds
    return judge(target, answers, start_version=start_version, history_mark=mark), seconds


@pytest.mark.parametrize("which", ["record", "complaint", "visit"])
def test_conflicting_edits_are_applied_or_refused_and_none_is_lost(desk, which):
    # given one object and 20 clients with tokens
    target = {"record": RecordTarget, "complaint": ComplaintTarget, "visit": VisitTarget}[which](
        desk[which]
    )

    # when each makes ROUNDS read-then-write rounds at the same time
    clients = [InProcess(key) for key in desk["keys"]]
    verdict, seconds = run_and_judge(target, clients, ROUNDS)

    # then each write was applied or refused with a 409, and the history holds every applied one
    detail = (
        f"{len(verdict.applied)} applied, {verdict.refused} refused with 409, "
        f"{CLIENTS} clients × {ROUNDS} rounds ({seconds:.0f} s)"
    )
    neither = sum(verdict.other.values())
    report(
        AREA, f"{target.name}: lost updates", verdict.lost, 0, ok=verdict.lost == 0, detail=detail
    )
    report(
        AREA,
        f"{target.name}: answers neither applied nor 409",
        neither,
        0,
        ok=neither == 0,
        detail=detail + (f"; others: {dict(verdict.other)}" if neither else ""),
    )
    assert neither == 0, verdict.other
    assert verdict.lost == 0, verdict.problems
    assert not verdict.problems, verdict.problems
    # Contention was real: most rounds lost the race to another client.
    assert verdict.applied and verdict.refused


def test_without_the_row_lock_the_same_race_loses_updates(desk, monkeypatch):
    # given the services' lock taken away: the row is read, not locked, before its version is
    # checked, so two clients that read the same version can both pass the check and both save
    def unlocked(queryset, *, pk, version):
        obj = queryset.get(pk=pk)
        if version is not None and obj.version != version:
            raise concurrency.ConflictError(current=obj.version, changes={})
        return obj

    monkeypatch.setattr(concurrency, "lock_current", unlocked)
    target = RecordTarget(desk["record"])

    # when the same race runs, smaller
    clients = [InProcess(key) for key in desk["keys"]]
    verdict, seconds = run_and_judge(target, clients, BROKEN_ROUNDS)

    # then updates are lost, and the test above would have said so
    report(
        AREA,
        "lost updates without the lock",
        verdict.lost,
        "> 0",
        ok=verdict.lost > 0,
        detail=(
            f"service record, {len(verdict.applied)} applied, {verdict.refused} refused with 409, "
            f"{CLIENTS} clients × {BROKEN_ROUNDS} rounds, row lock removed"
        ),
    )
    assert verdict.lost > 0, verdict.problems
    assert verdict.problems
