import shutil
import socket
import subprocess
import time
from dataclasses import dataclass

import pytest
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend

# What the next sends of FlakyBackend raise, in order; empty means "deliver" (to the locmem outbox).
FAILURES: list[Exception] = []


class FlakyBackend(BaseEmailBackend):
    """A mail server that fails as told, then delivers like the test backend."""

    def send_messages(self, messages):
        if FAILURES:
            raise FAILURES.pop(0)
        return LocmemBackend().send_messages(messages)


@pytest.fixture
def flaky(settings):
    """Mail goes through FlakyBackend; append exceptions to the yielded list to make sends fail."""
    settings.EMAIL_BACKEND = "tests.core.conftest.FlakyBackend"
    FAILURES.clear()
    yield FAILURES
    FAILURES.clear()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class OwnRedis:
    """A redis-server of the test's own, on a free loopback port, that it may stop and restart
    (the machine's shared Redis is never touched)."""

    port: int
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603 - a fixed local binary and arguments
            [
                shutil.which("redis-server") or "redis-server",
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture
def own_redis():
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    redis = OwnRedis(port=_free_port())
    redis.start()
    yield redis
    redis.stop()


@pytest.fixture
def category(department):
    """A plain category led by the agent's department, for the record flows core tests drive."""
    from tests.tickets.factories import CategoryFactory

    return CategoryFactory(lead_department=department)
