"""PostgreSQL restarted under load (issue 13, faults): the pages recover without restarting the
web processes.

A private PostgreSQL cluster of the test's own (tests/reliability/pgcluster.py; the machine's
server is never touched) holds a freshly migrated desk database; gunicorn (2 workers) serves it
with kept connections (CONN_MAX_AGE=60) and their health checks on, as shipped. Four client
threads read the record list, a record and My work, and create records through the API, while
the cluster is restarted with `pg_ctl restart -m fast` twice:

- busy: the load keeps running through the restart. Requests in the window (from the restart to
  GRACE seconds after the server accepts connections again) may fail, but only as 5xx error
  pages answered within HANG seconds, never as a hang or a dropped connection;
- quiet: no request while it restarts, as at night; the first requests afterwards meet the
  connections the workers kept from before.

After each restart and GRACE seconds, no request may fail, and the gunicorn workers are the same
processes. The broken variant keeps connections without checking them (CONN_MAX_AGE=600,
CONN_HEALTH_CHECKS=false): after the quiet restart each worker's next request fails.

Runtime: 80 s on an idle 2-core machine, up to 2.5 min on a busy one (12-40 s of it migrating
the private database).
"""

import json
import secrets
import shutil
import subprocess
import sys
import time
from collections import Counter

import httpx
import pytest
from django.conf import settings

from tests.conftest import IN_CI
from tests.processes import OwnRedis, desk_env, free_port
from tests.reliability import pgcluster, stack
from tests.reliability.figures import report

ON_POSTGRES = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
THREADS = 4
WARM_UP = 4  # seconds of load before the first restart
GRACE = 2  # seconds after the server accepts connections before failures count
AFTER = 4  # seconds of load after each grace period
HANG = 10.0  # seconds: an answer during the restart slower than this is a hang
OK = (200, 201)

pytestmark = [
    pytest.mark.skipif(
        not ON_POSTGRES and not IN_CI,
        reason="a PostgreSQL fault test (run with DATABASE_URL set, or in CI)",
    ),
    pytest.mark.skipif(
        bool(pgcluster.available()) and not IN_CI,
        reason=pgcluster.available() or "initdb available",
    ),
    pytest.mark.skipif(
        shutil.which("redis-server") is None and not IN_CI, reason="redis-server is not installed"
    ),
]

# Run by `manage.py shell` against the private database: the people and records the load uses,
# made with the suite's factories and the desk's own services. Prints them as JSON.
SEED = """
import json
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from servicedesk.core import services as core_services
from servicedesk.core.roles import Role
from tests.factories import (
    PASSWORD, ContactFactory, DepartmentFactory, MembershipFactory, UserFactory,
)
from tests.tickets.factories import CategoryFactory
from tickets import services as record_services
from tickets.models import Stage

department = DepartmentFactory(code="faults", name_en="Faults", name_zh="故障")
hasher = PBKDF2PasswordHasher()
agents = []
for n in range(THREADS):
    agent = UserFactory(username=f"load{n}", role=Role.AGENT)
    agent.password = hasher.encode(PASSWORD, hasher.salt(), iterations=1000)
    agent.save(update_fields=["password"])
    MembershipFactory(user=agent, department=department)
    agents.append(agent)
category = CategoryFactory(code="repair", stage=Stage.AFTER_SALE, lead_department=department)
customers = [ContactFactory(name=f"Customer {n}").customer for n in range(4)]
records = [
    record_services.record_create(
        by=agents[n % THREADS], customer_id=customers[n % 4].pk, stage=Stage.AFTER_SALE,
        category_id=category.pk, subject=f"Wardrobe door {n}", assignee_id=agents[n % THREADS].pk,
    ).pk
    for n in range(20)
]
print("SEED" + json.dumps({
    "agents": [a.username for a in agents],
    "tokens": [core_services.api_token_create(user=a, name="load")[1] for a in agents],
    "customers": [c.pk for c in customers],
    "category": category.pk,
    "records": records,
    "password": PASSWORD,
}))
"""


@pytest.fixture
def redis():
    if shutil.which("redis-server") is None:  # only reached under CI
        pytest.fail("CI=true but redis-server is not installed")
    server = OwnRedis(port=free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture
def cluster():
    why = pgcluster.available()
    if why or not ON_POSTGRES:  # only reached under CI, where a missing service must fail
        pytest.fail(f"CI=true but the PostgreSQL fault test cannot run: {why or 'no DATABASE_URL'}")
    pg = pgcluster.PrivateCluster()
    pg.init()
    try:
        pg.start()
        pg.psql("CREATE DATABASE desk")
        yield pg
    finally:
        pg.destroy()


def _manage(env: dict, *args: str, timeout: float = 120) -> str:
    done = subprocess.run(  # noqa: S603 - a fixed interpreter and arguments
        [sys.executable, "manage.py", *args],
        cwd=stack.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, f"manage.py {args[0]} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _script(base: str, desk: dict, api: list[httpx.Client], web: list[httpx.Client]):
    """One round of a client thread: three pages read with a session, one record created."""
    records = desk["records"]

    def round_(index: int, hit, n: int) -> None:
        page, client = web[index], api[index]
        hit("record list", lambda: page.get(f"{base}/records/"))
        hit("record page", lambda: page.get(f"{base}/records/{records[(index + n) % 20]}/"))
        hit("My work", lambda: page.get(f"{base}/"))
        hit(
            "create record (API)",
            lambda: client.post(
                f"{base}/api/v1/service-records/",
                json={
                    "customer": desk["customers"][n % 4],
                    "stage": "after_sale",
                    "category": desk["category"],
                    "subject": f"Hinge loose {index}-{n}",
                },
            ),
        )

    return round_


def _describe(hits: list[stack.Hit]) -> str:
    statuses = Counter(h.status for h in hits)
    errors = Counter(h.error.split(":")[0] for h in hits if h.error)
    text = f"{len(hits)} requests, statuses {dict(sorted(statuses.items()))}"
    return text + (f", no answer {dict(errors)}" if errors else "")


def _restarts_under_load(pg, web: stack.Proc, desk: dict) -> dict:
    """Load, a restart under it (busy), then one with the site quiet; what came back when."""
    api = [
        httpx.Client(timeout=30, headers={"Authorization": f"Token {k}"}) for k in desk["tokens"]
    ]
    pages = [httpx.Client(timeout=30) for _ in desk["agents"]]
    for client, username in zip(pages, desk["agents"], strict=True):
        stack.sign_in(client, web.url, username, desk["password"])
    load = stack.Load(_script(web.url, desk, api, pages), threads=THREADS, pause=0.1)
    load.start()
    try:
        time.sleep(WARM_UP)
        workers = web.children()
        # busy: the load keeps running while PostgreSQL restarts
        busy_from = time.monotonic()
        pg.restart()
        busy_back = time.monotonic()
        time.sleep(GRACE + AFTER)
        # quiet: nobody uses the site while it restarts
        load.hold()
        quiet_from = time.monotonic()
        pg.restart()
        quiet_back = time.monotonic()
        time.sleep(GRACE)
        load.resume()
        time.sleep(AFTER)
    finally:
        load.stop()
    # In the window: every request still under way when the restart began, up to the grace's end.
    window = [h for h in load.between(0, busy_back + GRACE) if h.ended >= busy_from]
    after = load.between(busy_back + GRACE, quiet_from) + load.between(quiet_back + GRACE)
    return {
        "window": window,
        "after": after,
        "failed_after": [h for h in after if h.status not in OK],
        "before": [h for h in load.between(0) if h.ended < busy_from],
        "workers_before": workers,
        "workers_after": web.children(),
        "restart_seconds": round(max(busy_back - busy_from, quiet_back - quiet_from), 2),
        "problems": load.problems,
    }


def test_pages_recover_after_postgresql_restarts_without_restarting_the_web(
    cluster, redis, tmp_path
):
    # given a migrated desk on the private cluster, with people and records
    env = desk_env(redis_url=redis.url, broker_url=redis.url, secret_key=secrets.token_urlsafe(50))
    env.update(DATABASE_URL=cluster.url("desk"), CONN_MAX_AGE="60")
    _manage(env, "migrate", "-v0")
    seeded = _manage(env, "shell", "-c", f"THREADS = {THREADS}\n{SEED}")
    desk = json.loads(seeded.split("SEED", 1)[1])
    procs = []
    try:
        # and gunicorn serving it with kept, health-checked connections (the shipped default)
        port = free_port()
        web = stack.start("web", stack.gunicorn(port, workers=2), env, tmp_path, port)
        procs.append(web)
        stack.wait_ready([web], 40)

        # when PostgreSQL restarts under load, and again while the site is quiet
        run = _restarts_under_load(cluster, web, desk)

        # then the requests in the restart window failed only as error pages, quickly
        window = run["window"]
        bad_failures = [h for h in window if h.status == 0]
        slowest = max((h.took for h in window), default=0.0)
        failed_in_window = [h for h in window if h.status not in OK]
        report(
            "Faults",
            f"requests failing after PostgreSQL is back (after {GRACE} s grace)",
            len(run["failed_after"]),
            0,
            ok=not run["failed_after"],
            detail=f"after two restarts (busy, quiet; each {run['restart_seconds']} s at most): "
            f"{_describe(run['after'])}; in the busy restart's window "
            f"({len(failed_in_window)} failed, as expected): {_describe(window)}, slowest "
            f"{slowest:.2f} s (bound {HANG:.0f} s)",
        )
        restarted = len(run["workers_before"] - run["workers_after"]) + (not web.alive())
        report(
            "Faults",
            "web processes restarted",
            restarted,
            0,
            ok=restarted == 0,
            detail=f"gunicorn master {web.process.pid} and workers "
            f"{sorted(run['workers_before'])} before, {sorted(run['workers_after'])} after",
        )
        assert run["before"] and not [h for h in run["before"] if h.status not in OK], (
            _describe(run["before"]),
            stack.logs(procs),
        )
        assert run["after"], "no requests after PostgreSQL was back"
        assert not run["failed_after"], (
            [(h.label, h.status, h.error) for h in run["failed_after"]][:20],
            stack.logs(procs),
        )
        assert restarted == 0 and len(run["workers_before"]) == 2, run
        assert not bad_failures, [(h.label, h.error, round(h.took, 2)) for h in bad_failures]
        assert all(h.status in OK or h.status >= 500 for h in window), _describe(window)
        assert slowest < HANG, [(h.label, round(h.took, 2)) for h in window if h.took >= HANG]
        assert not run["problems"], run["problems"][:10]

        # The broken variant: connections kept for ten minutes and never checked.
        stack.stop([web])
        port = free_port()
        broken = stack.start(
            "web-broken",
            stack.gunicorn(port, workers=2),
            {**env, "CONN_MAX_AGE": "600", "CONN_HEALTH_CHECKS": "false"},
            tmp_path,
            port,
        )
        procs.append(broken)
        stack.wait_ready([broken], 40)
        run = _restarts_under_load(cluster, broken, desk)
        report(
            "Faults",
            "requests failing after PostgreSQL is back in the broken variant",
            len(run["failed_after"]),
            "> 0",
            ok=bool(run["failed_after"]),
            detail="CONN_MAX_AGE=600, CONN_HEALTH_CHECKS=false: "
            f"{_describe(run['failed_after'])} of {len(run['after'])} after the grace",
        )
        assert run["failed_after"], _describe(run["after"])
    finally:
        stack.stop(procs)
