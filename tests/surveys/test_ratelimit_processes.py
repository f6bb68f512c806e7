"""The per-link submit limit (surveys/public.py per_token()) holds across processes: two gunicorn
instances sharing PostgreSQL and a cache, submits to one link alternating between them, and the
first submit past the limit is refused (429) whichever instance gets it.

Once with Redis (a redis-server of the test's own, so no earlier run's counts are in it) and once
without, where settings.CACHES falls back to the database cache table (core migration 0006).
The submits carry no answers, so each is a 400 re-show until the limit and nothing is stored.
"""

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from surveys import public, services
from surveys.models import SurveyResponse
from tests.factories import ContactFactory, EmailFactory
from tests.processes import OwnRedis, desk_env, free_port
from tests.surveys.factories import answers_for, rating_template

BASE_DIR = Path(settings.BASE_DIR)
ON_POSTGRES = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
START_TIMEOUT = 25

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not ON_POSTGRES,
        reason="needs PostgreSQL (DATABASE_URL): other processes cannot share SQLite's test DB",
    ),
]


def _env(redis_url: str) -> dict[str, str]:
    # Empty redis_url: no Redis, so the cache is the database table and the broker in memory.
    return desk_env(
        redis_url=redis_url,
        broker_url=redis_url or "memory://",
        secret_key=settings.SECRET_KEY,
    )


def _web(name: str, env: dict, tmp_path: Path) -> tuple[subprocess.Popen, str, Path]:
    port = free_port()
    log = tmp_path / f"{name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603 - a fixed interpreter and arguments
            [
                sys.executable,
                "-m",
                "gunicorn",
                "servicedesk.wsgi:application",
                "-w",
                "1",
                "-b",
                f"127.0.0.1:{port}",
                "--graceful-timeout",
                "5",
                "--no-control-socket",
            ],  # fmt: skip
            cwd=BASE_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return process, f"http://127.0.0.1:{port}", log


def _stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)


@contextlib.contextmanager
def two_instances(redis_url: str, tmp_path: Path):
    env = _env(redis_url)
    started = []
    try:
        for name in ("A", "B"):
            started.append(_web(name, env, tmp_path))  # noqa: PERF401 - stop what started
        deadline = time.monotonic() + START_TIMEOUT
        for process, url, log in started:
            while True:
                assert process.poll() is None, log.read_text(errors="replace")[-3000:]
                with contextlib.suppress(httpx.HTTPError):
                    if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                        break
                assert time.monotonic() < deadline, log.read_text(errors="replace")[-3000:]
                time.sleep(0.2)
        yield [url for _process, url, _log in started]
    finally:
        _stop([process for process, _url, _log in started])


def _invitation():
    template = rating_template()
    customer = ContactFactory(customer__language="zh-hans").customer
    EmailFactory(contact=customer.contacts.get(), value="li.wei@example.com")
    invitation = services.survey_invite(template=template, customer_id=customer.pk)
    return invitation, f"/s/{services.token_for(invitation)}/"


def _alternate_submits(urls: list[str], path: str, template) -> list[tuple[str, int]]:
    """per_token() + 1 empty submits to one link, alternating A, B, A, ...; then a valid one."""
    limit = public.per_token()[0]
    seen = []
    with httpx.Client(timeout=10) as client:
        page = client.get(urls[0] + path)
        assert page.status_code == 200
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        for n in range(limit + 1):
            url = urls[n % 2]
            answer = client.post(url + path, data={"csrfmiddlewaretoken": csrf})
            seen.append((url, answer.status_code))
        valid = {k: str(v) for k, v in answers_for(template).items()}
        answer = client.post(urls[0] + path, data={"csrfmiddlewaretoken": csrf, **valid})
        seen.append((urls[0], answer.status_code))
    return seen


def _assert_limit_held_in_total(seen, urls):
    limit = public.per_token()[0]
    statuses = [status for _url, status in seen]
    # Each instance alone saw at most limit/2 + 1 submits: only a shared count refuses here.
    assert statuses[:limit] == [400] * limit, seen
    assert statuses[limit:] == [429, 429], seen
    assert {url for url, _status in seen[:limit]} == set(urls)
    assert not SurveyResponse.objects.exists()


def test_per_link_limit_holds_across_two_processes_through_redis(tmp_path):
    invitation, path = _invitation()
    redis = OwnRedis(port=free_port())
    redis.start()
    try:
        with two_instances(redis.url, tmp_path) as urls:
            seen = _alternate_submits(urls, path, invitation.template)
    finally:
        redis.stop()
    _assert_limit_held_in_total(seen, urls)


def test_per_link_limit_holds_across_two_processes_through_the_database(tmp_path):
    invitation, path = _invitation()
    # Core migration 0006 makes the table only when CACHES names it; this run's CACHES may be
    # Redis, so the table the instances will use is made here (a no-op when it exists).
    call_command("createcachetable", "desk_cache", verbosity=0)
    with two_instances("", tmp_path) as urls:
        seen = _alternate_submits(urls, path, invitation.template)
    _assert_limit_held_in_total(seen, urls)
    with connection.cursor() as cursor:  # the count lived in the table, not in a process
        cursor.execute(
            "SELECT count(*) FROM desk_cache WHERE cache_key LIKE %s",
            [f"%ratelimit:survey:token:{invitation.pk}:%"],
        )
        assert cursor.fetchone()[0] == 1
