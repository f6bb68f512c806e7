import pytest
from django.urls import reverse

from servicedesk.core.models import ApiToken
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_login_page_renders(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert b"Log in to the service desk" in response.content


def test_login_page_in_chinese(client):
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    assert "登录" in response.content.decode()
    assert 'lang="zh-hans"' in response.content.decode()


def test_language_switch_sets_chinese(client, agent):
    client.force_login(agent)
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    assert "我的工作" in client.get("/").content.decode()


def test_wrong_password_reshows_form_with_error(client, agent):
    response = client.post(reverse("login"), {"username": "agent", "password": "wrong"})
    assert response.status_code == 200
    assert b"do not match" in response.content
    assert "_auth_user_id" not in client.session


def test_login_lands_on_my_work(client, agent):
    response = client.post(
        reverse("login"), {"username": "agent", "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("core:my_work")
    assert b"My work" in response.content


def test_pages_require_login(client):
    response = client.get(reverse("core:my_work"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(
    ("fixture", "sees_dashboard", "sees_admin"),
    [("agent", False, False), ("manager", True, False), ("administrator", True, True)],
)
def test_shell_navigation_per_role(request, client, fixture, sees_dashboard, sees_admin):
    user = request.getfixturevalue(fixture)
    client.force_login(user)
    html = client.get(reverse("core:my_work")).content.decode()
    for label in ("Customers", "Service records", "Complaints", "Callbacks", "Surveys"):
        assert label in html
    assert ('href="/dashboard/"' in html) is sees_dashboard
    assert ('href="/system/"' in html) is sees_admin


def test_every_nav_link_resolves_without_error(client, administrator):
    client.force_login(administrator)
    html = client.get("/").content.decode()
    for path in [
        "/",
        "/customers/",
        "/records/",
        "/complaints/",
        "/callbacks/",
        "/surveys/",
        "/dashboard/",
        "/system/",
        "/account/",
        "/account/tokens/",
        "/admin/",
    ]:
        assert f'href="{path}"' in html or path in ("/", "/account/tokens/", "/admin/")
        assert client.get(path).status_code == 200, path


def test_agent_cannot_open_dashboard_or_system(client, agent):
    client.force_login(agent)
    assert client.get("/dashboard/").status_code == 403
    response = client.get("/system/")
    assert response.status_code == 403
    assert b"Not allowed" in response.content


def test_unknown_page_is_friendly_404(client, agent):
    client.force_login(agent)
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert b"Page not found" in response.content


def test_token_page_shows_key_once_and_revokes(client, agent):
    client.force_login(agent)
    response = client.post(reverse("core:tokens"), {"name": "ERP sync"}, follow=True)
    html = response.content.decode()
    token = ApiToken.objects.get(user=agent)
    assert "Copy your new token now" in html
    assert token.prefix in html
    # A second visit never shows the key again.
    assert "Copy your new token now" not in client.get(reverse("core:tokens")).content.decode()
    client.post(reverse("core:token_revoke", args=[token.pk]))
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_token_create_is_post_redirect_get(client, agent):
    client.force_login(agent)
    # given a created token
    response = client.post(reverse("core:tokens"), {"name": "ERP sync"})
    assert response.status_code == 302 and response["Location"] == reverse("core:tokens")
    # when the page after the redirect is shown, then reloaded
    first = client.get(response["Location"]).content.decode()
    reload = client.get(response["Location"]).content.decode()
    # then the key is shown exactly once and reloading made no second token
    token = ApiToken.objects.get(user=agent)
    assert "Copy your new token now" in first and token.prefix in first
    key = first.split('id="new-token">')[1].split("<")[0]
    assert key.startswith(token.prefix) and key not in reload
    assert "Copy your new token now" not in reload
    assert ApiToken.objects.filter(user=agent).count() == 1


def test_token_revoke_asks_for_confirmation_first(client, agent):
    from servicedesk.core import services

    token, _key = services.api_token_create(user=agent, name="ERP sync")
    client.force_login(agent)
    # the list links to a confirmation page (no JavaScript needed), which revokes nothing
    listing = client.get(reverse("core:tokens")).content.decode()
    confirm_url = reverse("core:token_revoke", args=[token.pk])
    assert f'href="{confirm_url}"' in listing
    page = client.get(confirm_url)
    html = page.content.decode()
    assert page.status_code == 200
    assert "Revoke the token “ERP sync”?" in html and "Yes, revoke it" in html
    assert f'action="{confirm_url}"' in html and 'method="post"' in html
    token.refresh_from_db()
    assert token.revoked_at is None
    # confirming revokes
    response = client.post(confirm_url, follow=True)
    assert "was revoked" in response.content.decode()
    token.refresh_from_db()
    assert token.revoked_at is not None
    # a revoked token's confirmation page just says so
    again = client.get(confirm_url, follow=True).content.decode()
    assert "already revoked" in again


def test_token_service_error_on_a_field_the_form_lacks_is_shown_not_a_500(
    client, agent, monkeypatch
):
    from servicedesk.core import services
    from servicedesk.core.exceptions import DomainError

    def refuse(**kwargs):
        raise DomainError("Tokens are paused today.", field="quota")

    monkeypatch.setattr(services, "api_token_create", refuse)
    client.force_login(agent)
    response = client.post(reverse("core:tokens"), {"name": "ERP sync"})
    assert response.status_code == 200
    assert "Tokens are paused today." in response.content.decode()


def test_token_form_requires_a_name(client, agent):
    client.force_login(agent)
    response = client.post(reverse("core:tokens"), {"name": ""})
    assert response.status_code == 200
    assert b"This field is required" in response.content
    assert not ApiToken.objects.exists()


def test_cannot_revoke_someone_elses_token(client, agent):
    from servicedesk.core import services

    other = UserFactory(username="other")
    token, _key = services.api_token_create(user=other, name="theirs")
    client.force_login(agent)
    assert client.post(reverse("core:token_revoke", args=[token.pk])).status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_time_zone_preference_changes_shown_zone(client, agent):
    client.force_login(agent)
    response = client.post(reverse("core:account"), {"time_zone": "Europe/Berlin"}, follow=True)
    assert "Europe/Berlin" in response.content.decode()
    bad = client.post(reverse("core:account"), {"time_zone": "Mars/Base"})
    assert bad.status_code == 200
    assert b"Select a valid choice" in bad.content


def test_password_change(client, agent):
    client.force_login(agent)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "A-much-longer-pass-42",
            "new_password2": "A-much-longer-pass-42",
        },
    )
    assert response.status_code == 302
    agent.refresh_from_db()
    assert agent.check_password("A-much-longer-pass-42")


def test_system_page_sends_test_task(client, administrator, django_capture_on_commit_callbacks):
    from servicedesk.core.models import TaskOutbox, WorkerPing

    client.force_login(administrator)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("core:system"))
    ping = WorkerPing.objects.get()
    assert TaskOutbox.objects.get().args == [ping.pk]


def test_healthz_reports_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "broker": "ok",
        "failed": {"event_deliveries": 0, "emails": 0},
    }


def test_healthz_reports_unreachable_broker(client, monkeypatch, dead_broker_app):
    from servicedesk.core import health

    monkeypatch.setattr(health, "current_app", dead_broker_app)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["broker"] == "unreachable"
    assert response.json()["database"] == "ok"


def test_csrf_failure_is_a_page_not_a_500(agent):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(agent)
    response = client.post(reverse("core:tokens"), {"name": "x"})
    assert response.status_code == 403
    assert b"form expired" in response.content


# --- the one adapter from service errors to form errors -------------------------------------------


def test_add_service_error_puts_errors_on_shown_fields_else_on_top():
    from django import forms
    from django.core.exceptions import ValidationError

    from servicedesk.core.exceptions import ConflictError, DomainError
    from servicedesk.core.forms import add_service_error

    class Form(forms.Form):
        name = forms.CharField()
        version = forms.IntegerField(widget=forms.HiddenInput)

    form = Form({"name": "x", "version": 1})
    assert form.is_valid()
    add_service_error(form, DomainError("Name taken.", field="name"))
    add_service_error(form, DomainError("Stale.", field="version"))  # hidden: shown on top
    add_service_error(form, DomainError("Unknown field.", field="colour"))
    add_service_error(form, ConflictError())
    add_service_error(form, ValidationError({"region": ["Too long."]}))
    assert form.errors["name"] == ["Name taken."]
    assert "version" not in form.errors
    assert form.non_field_errors() == [
        "Stale.",
        "Unknown field.",
        str(ConflictError.default_message),
        "region: Too long.",
    ]


# --- the shell's odds and ends ----------------------------------------------------------------


def test_favicon_is_served(client):
    response = client.get("/favicon.ico", follow=True)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    body = b"".join(response.streaming_content)
    assert body[:4] == b"\x00\x00\x01\x00"  # the ICO header


def test_pages_link_the_icon(client, agent):
    client.force_login(agent)
    assert 'rel="icon" href="/favicon.ico"' in client.get("/").content.decode()


def test_forbidden_is_logged_in_one_line_without_traceback(client, agent, caplog):
    client.force_login(agent)
    with caplog.at_level("WARNING", logger="django.request"):
        assert client.get("/system/").status_code == 403
    records = [r for r in caplog.records if r.name == "django.request"]
    assert [r.getMessage() for r in records] == ["Forbidden (Permission denied): /system/"]
    assert records[0].exc_info is None
    assert "Traceback" not in caplog.text


def test_server_errors_keep_their_traceback():
    import logging

    from servicedesk.core.logs import ForbiddenWithoutTraceback

    try:
        raise RuntimeError("boom")
    except RuntimeError:
        import sys

        record = logging.LogRecord("django.request", 40, "", 0, "x", (), sys.exc_info())
    record.status_code = 500
    assert ForbiddenWithoutTraceback().filter(record) and record.exc_info is not None


# --- what ships: broker folders, the image, the dependencies ----------------------------------
# (Deployment checks; tests/core/test_deploy.py would be their natural home.)

ROOT = __import__("pathlib").Path(__file__).resolve().parents[2]


def test_filesystem_broker_keeps_its_control_folder_under_var():
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "CELERY_BROKER_URL")}
    code = (
        "from servicedesk.settings import base as b; "
        "print(b.CELERY_BROKER_TRANSPORT_OPTIONS['control_folder'], b.VAR_DIR)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    control, var = result.stdout.split()
    assert control.startswith(var + "/")
    assert "/control/" in (ROOT / ".gitignore").read_text()


def test_dockerignore_keeps_local_state_out_of_the_image():
    ignored = {
        line.strip().rstrip("/")
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    for entry in (".env", ".venv", "var", ".git", "tests/browser/artifacts", "bench/results"):
        assert entry in ignored, entry
    assert "**/__pycache__" in ignored or "__pycache__" in ignored


def _dependencies():
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = [d.split("==")[0] for d in project["dependencies"]]
    dev = [d.split("==")[0] for d in project["optional-dependencies"]["dev"]]
    return names, dev


def test_dev_runners_stay_out_of_the_production_dependencies():
    production, dev = _dependencies()
    assert "honcho" not in production and "honcho" in dev  # `make run` only
    assert "gunicorn" in production  # the production server


# Needed at run time without being imported by the desk's own code.
RUNTIME_ONLY = {
    "psycopg2-binary": "Django's PostgreSQL backend",
    "redis": "Celery's Redis broker transport",
    "kombu": "Celery's messaging, pinned for the filesystem broker",
    "gunicorn": "the production server the Dockerfile runs",
}


def test_every_production_dependency_is_used():
    import re
    from importlib.metadata import packages_distributions

    modules: dict[str, set[str]] = {}
    for module, dists in packages_distributions().items():
        for dist in dists:
            modules.setdefault(dist.lower(), set()).add(module)
    source = "\n".join(
        p.read_text()
        for folder in ("servicedesk", "customers", "tickets", "followups", "surveys")
        for p in (ROOT / folder).rglob("*.py")
        if "migrations" not in p.parts
    )
    production, _dev = _dependencies()
    unused = []
    for dist in production:
        if dist in RUNTIME_ONLY:
            continue
        names = modules.get(dist.lower(), set())
        # imported, or named in settings (INSTALLED_APPS, MIDDLEWARE, STORAGES)
        if not any(re.search(rf"(import {n}\b|from {n}\b|[\"']{n}[.\"'])", source) for n in names):
            unused.append(dist)
    assert unused == []
