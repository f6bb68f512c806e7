"""Issue 13, item 1: every route × every role × own / same-department / foreign object.

The routes come from the URL resolver, the expectations from tests/security/matrix.py. Figure:
unauthorised 2xx = 0 (a 2xx answer in a cell whose expectation is a refusal)."""

import pytest
from django.conf import settings
from django.shortcuts import resolve_url

from . import matrix
from .figures import FIGURES
from .routes import all_routes, client_for, send, url_for
from .world import FOREIGN, OWNER, ROLES, SCOPES

ROUTES = all_routes()
ADMIN_LOGIN_PATH = "/admin/login/"


def _covered(name: str) -> bool:
    return name in matrix.ROUTES or any(name.startswith(p) for p in matrix.ROUTE_CLASSES)


def test_every_route_has_an_entry():
    missing = sorted(name for name in ROUTES if not _covered(name))
    stale = sorted(set(matrix.ROUTES) - set(ROUTES) - matrix.DEBUG_ONLY)
    assert not missing, (
        f"routes without an access-matrix entry (tests/security/matrix.py): {missing}"
    )
    assert not stale, f"access-matrix entries for routes that no longer exist: {stale}"


def _values(world, kind, role, scope) -> dict:
    values = dict(matrix.FIXED_ARGS)
    if kind in matrix.SCOPED_KINDS:
        values.update(matrix.SCOPED_KINDS[kind](world.owned[kind, OWNER[role][scope]]))
    elif kind is not None:
        values.update(matrix.SHARED_KINDS[kind](world.shared[kind]))
    return values


def _expected(rule: str, role: str, scope: str):
    want = matrix.RULES[rule][role]
    return want[SCOPES.index(scope)] if isinstance(want, tuple) else want


def _meets(response, want, method: str) -> bool:
    status = response.status_code
    if want == matrix.OK:
        return status == 200 if method == "GET" else status < 500
    if want in (matrix.LOGIN, matrix.ADMIN_LOGIN):
        target = resolve_url(settings.LOGIN_URL) if want == matrix.LOGIN else ADMIN_LOGIN_PATH
        return status == 302 and response["Location"].startswith(target)
    return status == want


def _walk(world, name, kind, method, rule, *, figures=FIGURES):
    """Every cell of one route; returns the cells that differ from their expectation."""
    route = ROUTES[name]
    wrong = []
    for role in ROLES:
        client = client_for(role, world)
        for scope in SCOPES if kind in matrix.SCOPED_KINDS else SCOPES[:1]:
            url = url_for(route, _values(world, kind, role, scope), matrix.UNNAMED_URLS)
            url += matrix.LIST_QUERIES.get(name, "")
            response = send(client, route, url, method, matrix.BODIES.get(name))
            want = _expected(rule, role, scope)
            figures["cells"] += 1
            if want != matrix.OK and 200 <= response.status_code < 300:
                figures["unauthorised_2xx"].append(f"{name} {role}/{scope}")
            if not _meets(response, want, method):
                wrong.append(f"{role}/{scope} {method} {url}: {response.status_code}, want {want}")
            elif name in matrix.LISTS:
                body = response.content.decode(errors="replace")
                wrong += _list_rows(name, role, url, body, figures)
    return wrong


def _list_rows(name, role, url, body, figures) -> list[str]:
    hidden_from, witness = matrix.LISTS[name]
    if role in hidden_from:
        figures["lists_checked"] += 1
        if FOREIGN in body:
            figures["foreign_rows"].append(f"{name} {role}")
            return [f"{role} {url}: the list shows a foreign row"]
    if witness and witness[0] == role and witness[1] not in body:
        return [f"{role} {url}: no {witness[1]} row, so the list proves nothing"]
    return []


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(set(matrix.ROUTES) & set(ROUTES)))
def test_access_matrix(world, name):
    kind, method, rule = matrix.ROUTES[name]
    wrong = _walk(world, name, kind, method, rule)
    leaks = [c for c in FIGURES["unauthorised_2xx"] if c.startswith(f"{name} ")]
    assert not wrong, f"unauthorised 2xx = {len(leaks)}; cells off the matrix:\n" + "\n".join(wrong)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name",
    sorted(
        n
        for n in ROUTES
        if n.startswith("admin:")
        and not (ROUTES[n].args or ROUTES[n].positional or n in matrix.ROUTES)
    ),
)
def test_admin_site(world, name):
    """The admin is one class: every page without an argument sends all but administrators to
    its sign-in; an administrator's own rights per model are Django's (checked on the index)."""
    rule = matrix.ROUTE_CLASSES["admin:"]
    roles_rule = dict(matrix.RULES[rule])
    if name != "admin:index":
        roles_rule.pop("administrator")
    wrong = []
    route = ROUTES[name]
    for role, want in roles_rule.items():
        response = client_for(role, world).get(url_for(route, {}, {}))
        FIGURES["cells"] += 1
        if want != matrix.OK and 200 <= response.status_code < 300:
            FIGURES["unauthorised_2xx"].append(f"{name} {role}")
        if not _meets(response, want, "GET"):
            wrong.append(f"{role}: {response.status_code}, want {want}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.django_db
def test_matrix_catches_a_leak(world, monkeypatch):
    """The matrix can fail: with record visibility broken (every record for everyone), the same
    walk counts the foreign record's detail and the list's foreign rows as leaks."""
    import tickets.selectors

    monkeypatch.setattr(tickets.selectors, "audience_visible", lambda queryset, user: queryset)
    figures = {"cells": 0, "lists_checked": 0, "unauthorised_2xx": [], "foreign_rows": []}
    for name in ("tickets:detail", "v1:service-record-detail", "v1:service-record-list"):
        kind, method, rule = matrix.ROUTES[name]
        assert _walk(world, name, kind, method, rule, figures=figures)
    assert "tickets:detail agent/foreign" in figures["unauthorised_2xx"]
    assert "v1:service-record-detail integration/foreign" in figures["unauthorised_2xx"]
    assert "v1:service-record-list manager" in figures["foreign_rows"]


# Kinds reached through a parent in the URL (/<parent pk>/…/<child id>/): the child must belong
# to that parent, or a visible parent would open another department's child.
CHILD_KINDS = ("attachment", "complaint_action", "cause_action")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name",
    sorted(n for n in set(matrix.ROUTES) & set(ROUTES) if matrix.ROUTES[n][0] in CHILD_KINDS),
)
def test_child_of_a_foreign_parent_under_an_own_parent(world, name):
    kind, method, _rule = matrix.ROUTES[name]
    route = ROUTES[name]
    wrong = []
    for role in ("agent", "manager", "integration"):
        own = matrix.SCOPED_KINDS[kind](world.owned[kind, role])
        foreign = world.owned[kind, "stranger"]
        values = {**matrix.SCOPED_KINDS[kind](foreign), "pk": own["pk"]}
        response = send(client_for(role, world), route, url_for(route, values, {}), method)
        FIGURES["cells"] += 1
        if 200 <= response.status_code < 300:
            FIGURES["unauthorised_2xx"].append(f"{name} {role}/foreign-under-own")
            wrong.append(f"{role}: {response.status_code}")
        if method == "POST":
            foreign.refresh_from_db()
            if getattr(foreign, "done_at", None) is not None:
                wrong.append(f"{role}: the foreign {kind} was changed")
    assert not wrong, f"{name}: " + "; ".join(wrong)
