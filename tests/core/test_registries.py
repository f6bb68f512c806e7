"""Registries, not fixed lists: apps plug their sections, panels and periodic tasks into core."""

import ast
from pathlib import Path

import pytest

from servicedesk.core import mywork, navigation, periodic

HIGHER_APPS = ("customers", "tickets", "followups", "surveys", "servicedesk.dashboard")
CORE = Path(__file__).resolve().parents[2] / "servicedesk" / "core"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_core_imports_no_app_above_it():
    offenders = {
        str(path.relative_to(CORE)): sorted(
            n for n in _imports(path) if n.split(".")[0] in HIGHER_APPS or n.startswith(HIGHER_APPS)
        )
        for path in CORE.rglob("*.py")
        if "migrations" not in path.parts
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_each_app_registers_its_section_in_order():
    keys = [item.key for item in navigation.items()]
    assert keys == [
        "my_work",
        "customers",
        "records",
        "complaints",
        "callbacks",
        "surveys",
        "dashboard",
        "team",
        "audit",
        "my_reviews",
        "admin",
    ]


def test_each_app_registers_its_my_work_panel():
    assert [p.key for p in mywork.panels()] == ["records", "callbacks"]
    assert mywork.panels()[0].template == "tickets/panels/my_work.html"


def test_periodic_tasks_come_from_the_apps_and_no_app_edits_celery_conf():
    from servicedesk.celery import app

    names = {t.name: t.task for t in periodic.entries()}
    assert names["core-outbox-resend"] == "core.outbox_resend"
    assert names["core-events-retry"] == "core.events_retry"
    assert names["tickets-escalate-breaches"] == "tickets.escalate_breaches"
    assert names["tickets-complaint-actions"] == "tickets.complaint_actions"
    # every registered task exists
    app.loader.import_default_modules()
    assert set(names.values()) <= set(app.tasks)
    assert not app.conf.beat_schedule


@pytest.mark.django_db
def test_the_shell_shows_registered_sections_per_role(client, agent, manager):
    client.force_login(agent)
    html = client.get("/").content.decode()
    assert 'href="/records/"' in html and 'href="/dashboard/"' not in html
    client.force_login(manager)
    assert 'href="/dashboard/"' in client.get("/").content.decode()
