"""Parallel guesses at one account on PostgreSQL: past the limit, none is let through to the
password check. The figure: brute-force attempts let through past the limit = 0."""

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest
from django.contrib.auth import authenticate
from django.db import connection
from django.test import override_settings

from servicedesk.securitylog.models import EventKind, SecurityEvent
from tests.factories import UserFactory
from tests.reliability.figures import report

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="parallel sign-ins need PG"),
]

ATTEMPTS = 20
LIMIT = 5


@override_settings(LOGIN_FAILURE_LIMIT_ACCOUNT=LIMIT)
def test_parallel_guesses_past_the_limit_are_all_refused_unchecked():
    UserFactory(username="target")
    barrier = Barrier(ATTEMPTS)

    def guess(n):
        try:
            barrier.wait()
            return authenticate(username="target", password=f"guess-{n}")
        finally:
            connection.close()

    with ThreadPoolExecutor(ATTEMPTS) as pool:
        results = list(pool.map(guess, range(ATTEMPTS)))

    assert results == [None] * ATTEMPTS
    checked = SecurityEvent.objects.filter(kind=EventKind.SIGN_IN_FAILED).count()
    refused = SecurityEvent.objects.filter(kind=EventKind.LOCKED_OUT).count()
    let_through_past_limit = checked - LIMIT
    report(
        "Sign-in",
        "brute-force attempts let through past the limit",
        let_through_past_limit,
        0,
        ok=let_through_past_limit == 0,
        detail=f"{ATTEMPTS} parallel guesses at one account, limit {LIMIT}",
    )
    assert let_through_past_limit == 0, (
        f"brute-force attempts let through past the limit = {let_through_past_limit}"
    )
    assert refused == ATTEMPTS - LIMIT
