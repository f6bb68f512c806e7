"""Under production-like settings an unknown Host is a 400 on every kind of path, never a 500."""

import pytest
from django.test import override_settings

pytestmark = pytest.mark.django_db

PATHS = [
    "/",
    "/records/",
    "/records/1/",
    "/customers/",
    "/api/v1/service-records/",
    "/api/v1/service-records/1/",
    "/api/v1/no-such-endpoint/",
    "/api/schema/",
    "/api/docs/",
    "/healthz",
    "/admin/",
    "/accounts/login/",
    "/no-such-page/",
]


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("method", ["get", "post"])
def test_unknown_host_is_a_400_everywhere(client, agent, path, method):
    client.force_login(agent)  # a signed-in browser too: the session must not be read first
    with override_settings(
        ALLOWED_HOSTS=["desk.example.com"], DEBUG=False, SECURE_SSL_REDIRECT=True
    ):
        response = getattr(client, method)(path, HTTP_HOST="evil.example.org", secure=True)
    assert response.status_code == 400
    if path.startswith("/api/"):
        assert response.json()["error"]["code"] == "bad_request"


@pytest.mark.parametrize("path", ["/healthz", "/api/v1/service-records/"])
def test_unknown_host_over_plain_http_is_still_a_400(client, path):
    # /healthz is exempt from the HTTPS redirect, the rest redirect: neither may read the host.
    with override_settings(
        ALLOWED_HOSTS=["desk.example.com"],
        DEBUG=False,
        SECURE_SSL_REDIRECT=True,
        SECURE_REDIRECT_EXEMPT=[r"^healthz$"],
    ):
        response = client.get(path, HTTP_HOST="evil.example.org")
    assert response.status_code == 400


def test_known_host_is_served(client):
    with override_settings(ALLOWED_HOSTS=["desk.example.com"], DEBUG=False):
        response = client.get("/accounts/login/", HTTP_HOST="desk.example.com")
    assert response.status_code == 200
