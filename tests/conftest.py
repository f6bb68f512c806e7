import os
import shutil

import pytest
from rest_framework.test import APIClient

from servicedesk.core import services as core_services
from servicedesk.core.roles import Role

from .factories import PASSWORD, DepartmentFactory, MembershipFactory, UserFactory

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def _redis_reachable() -> bool:
    url = os.environ.get("REDIS_URL")
    if not url:
        return False
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False


def pytest_collection_modifyitems(config, items):
    """Skip tests whose service or browser is missing, saying how to enable them; never under CI."""
    missing = {}
    if not os.path.exists(CHROMIUM):
        missing["browser"] = "no Chromium: apt-get install -y chromium (or set CHROMIUM_PATH)"
    if not _redis_reachable():
        missing["worker"] = (
            "no Redis: start redis-server and set REDIS_URL=redis://127.0.0.1:6379/0"
        )
    if IN_CI and missing:
        raise pytest.UsageError(
            "CI=true but required services are missing: " + "; ".join(missing.values())
        )
    for item in items:
        for marker, why in missing.items():
            if marker in item.keywords:
                item.add_marker(pytest.mark.skip(reason=why))


@pytest.fixture
def own_redis():
    """A redis-server of the test's own, which it may stop and start again."""
    from .processes import OwnRedis, free_port

    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    redis = OwnRedis(port=free_port())
    redis.start()
    yield redis
    redis.stop()


@pytest.fixture(autouse=True)
def _no_cached_figures():
    """Figures cached under day-roll stamps (servicedesk.core.exact_cache) would leak from one
    test into the next: frozen clocks stamp the same days with the same moments in both. The
    process's own copies are dropped; with the database cache nothing is kept; Redis keeps them,
    so they are deleted there (only those keys: the broker's and the limits' stay)."""
    from django.core.cache import cache

    from servicedesk.core import exact_cache

    exact_cache.forget_local()
    client = getattr(getattr(cache, "_cache", None), "get_client", None)
    if client is None:
        return
    import redis

    connection = client(write=True)
    try:
        for pattern in ("*:surveys:sums:*", "*:dash:*"):
            for key in connection.scan_iter(match=pattern, count=1000):
                connection.delete(key)
    except redis.RedisError:
        pass  # Redis down: the test finds out for itself


@pytest.fixture
def password():
    return PASSWORD


@pytest.fixture
def department(db):
    return DepartmentFactory(code="customer-service", name_en="Customer service", name_zh="客服部")


@pytest.fixture
def agent(db, department):
    user = UserFactory(username="agent", role=Role.AGENT)
    MembershipFactory(user=user, department=department)
    return user


@pytest.fixture
def manager(db, department):
    user = UserFactory(username="manager", role=Role.MANAGER)
    MembershipFactory(user=user, department=department, is_manager=True)
    return user


@pytest.fixture
def administrator(db):
    return UserFactory(username="administrator", role=Role.ADMINISTRATOR)


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def agent_api(agent):
    client = APIClient()
    client.force_login(agent)
    return client


@pytest.fixture
def token_for():
    """token_for(user) -> an APIClient authenticated with a fresh personal token."""

    def make(user):
        _token, key = core_services.api_token_create(user=user, name="tests")
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        return client

    return make


@pytest.fixture
def dead_broker_app():
    """A Celery app pointed at a port where nothing listens: a real, unreachable broker."""
    from celery import Celery

    app = Celery("dead", broker="redis://127.0.0.1:9/0", set_as_current=False)
    app.conf.broker_connection_timeout = 1
    app.conf.broker_connection_retry = False
    app.conf.broker_connection_max_retries = 0
    app.conf.task_publish_retry = False
    yield app
    app.close()


@pytest.fixture
def celery_worker():
    """A real Celery worker (solo pool, in a thread) consuming from the configured Redis broker."""
    from celery.contrib.testing.worker import start_worker

    from servicedesk.celery import app

    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10) as worker:
        yield worker
