"""The production configuration: check --deploy, required secrets, and the compose file's shape."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
PROD = {"DJANGO_SETTINGS_MODULE": "servicedesk.settings.production", "PATH": os.environ["PATH"]}


def _manage(*args, **env):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**PROD, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_settings_pass_check_deploy():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        SECRET_KEY="x" * 20 + "production-secret-key-for-the-check-only-0123456789",
        ALLOWED_HOSTS="desk.example.com",
        SITE_URL="https://desk.example.com",
    )
    assert result.returncode == 0, result.stderr
    assert "no issues (0 silenced)" in result.stdout


def test_production_refuses_to_start_without_secret_key():
    result = _manage("check", ALLOWED_HOSTS="desk.example.com")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_refuses_to_start_without_site_url():
    result = _manage(
        "check",
        SECRET_KEY="x" * 20 + "production-secret-key-for-the-check-only-0123456789",
        ALLOWED_HOSTS="desk.example.com",
    )
    assert result.returncode != 0
    assert "SITE_URL must be set" in result.stderr


def test_compose_file_defines_the_production_stack():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) >= {"db", "redis", "web", "worker", "beat"}
    for name in ("db", "redis", "web", "worker", "beat"):
        assert "healthcheck" in services[name], name
    assert "pgdata" in compose["volumes"]
    assert "pgdata:/var/lib/postgresql/data" in services["db"]["volumes"]
    assert "gunicorn" in services["web"]["command"]
    for name in ("web", "worker", "beat"):
        env = services[name]["environment"]
        assert env["DJANGO_SETTINGS_MODULE"] == "servicedesk.settings.production"
        assert env["DATABASE_URL"].startswith("postgres://")
        assert env["REDIS_URL"].startswith("redis://")
        assert services[name]["depends_on"]["db"]["condition"] == "service_healthy"
    # The on-demand backup (README "Security and data") dumps the same database.
    backup = services["backup"]
    assert backup["profiles"] == ["backup"]
    assert "pg_dump --format=custom -h db -U desk" in backup["command"]
    assert services["db"]["image"] == backup["image"]  # pg_dump of the server's own version


@pytest.mark.parametrize("path", ["Dockerfile", "servicedesk/Procfile", ".ci/run", "Makefile"])
def test_runtime_files_exist(path):
    assert (ROOT / path).is_file()
