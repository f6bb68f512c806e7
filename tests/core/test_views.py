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
    response = client.post(reverse("core:tokens"), {"name": "ERP sync"})
    html = response.content.decode()
    token = ApiToken.objects.get(user=agent)
    assert "Copy your new token now" in html
    assert token.prefix in html
    # A second visit never shows the key again.
    assert "Copy your new token now" not in client.get(reverse("core:tokens")).content.decode()
    client.post(reverse("core:token_revoke", args=[token.pk]))
    token.refresh_from_db()
    assert token.revoked_at is not None


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
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}


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
