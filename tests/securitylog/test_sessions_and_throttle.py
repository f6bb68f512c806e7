"""Sessions end after the idle time; the API is limited per token."""

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings as django_settings
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from servicedesk.settings import base

pytestmark = pytest.mark.django_db


@override_settings(SESSION_IDLE_MINUTES=120, SESSION_COOKIE_AGE=120 * 60)
def test_a_session_ends_after_the_idle_time_but_not_while_in_use(agent, password):
    idle = timedelta(minutes=120)
    start = timezone.now()
    client = Client()
    with time_machine.travel(start, tick=False):
        client.post(reverse("login"), {"username": "agent", "password": password})
        assert client.get(reverse("core:my_work")).status_code == 200
    # Used every three quarters of the idle time: still signed in after twice the idle time.
    for step in (1, 2, 3):
        with time_machine.travel(start + idle * 0.75 * step, tick=False):
            assert client.get(reverse("core:my_work")).status_code == 200
    with time_machine.travel(start + idle * 2.25 + idle + timedelta(minutes=2), tick=False):
        page = client.get(reverse("core:my_work"))
    assert page.status_code == 302
    assert page["Location"].startswith(reverse("login"))


def test_the_shipped_idle_time_is_the_session_age():
    assert base.SESSION_COOKIE_AGE == base.SESSION_IDLE_MINUTES * 60 == 120 * 60
    assert django_settings.SESSION_COOKIE_AGE == django_settings.SESSION_IDLE_MINUTES * 60


@override_settings(API_RATE_PER_MINUTE=3)
def test_the_api_limits_each_token_per_minute(agent, manager, token_for):
    mine, theirs = token_for(agent), token_for(manager)
    url = reverse("v1:customer-list")
    assert [mine.get(url).status_code for _ in range(3)] == [200, 200, 200]

    refused = mine.get(url)

    assert refused.status_code == 429
    assert refused.json()["error"]["status"] == 429
    assert refused.json()["error"]["code"] == "throttled"
    assert refused["Retry-After"]
    assert theirs.get(url).status_code == 200  # another token has its own count
    with time_machine.travel(timezone.now() + timedelta(seconds=61)):
        assert mine.get(url).status_code == 200


@override_settings(API_RATE_PER_MINUTE=0)
def test_a_limit_of_zero_turns_it_off(agent, token_for):
    client = token_for(agent)
    url = reverse("v1:customer-list")
    assert {client.get(url).status_code for _ in range(5)} == {200}
