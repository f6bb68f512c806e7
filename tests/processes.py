"""Real local processes a test may start and stop: a Redis of its own, a free port."""

import shutil
import socket
import subprocess
import time
from dataclasses import dataclass


def free_port() -> int:
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


def desk_env(*, redis_url: str, broker_url: str, secret_key: str, **extra: str) -> dict[str, str]:
    """The environment of a desk process (gunicorn, a worker) on this test run's database:
    production-like local settings, with events through the broker (the test settings force
    DESK_EVENTS_SYNC on; the local ones read it, absent: off)."""
    import os
    from urllib.parse import urlsplit

    from django.db import connection

    database = urlsplit(os.environ["DATABASE_URL"])._replace(
        path="/" + connection.settings_dict["NAME"]
    )
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DESK_EVENTS_SYNC", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="servicedesk.settings.local",
        DATABASE_URL=database.geturl(),
        REDIS_URL=redis_url,
        CELERY_BROKER_URL=broker_url,
        SECRET_KEY=secret_key,
        DEBUG="false",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        CONN_MAX_AGE="0",
        PYTHONUNBUFFERED="1",
        **extra,
    )
    return env
