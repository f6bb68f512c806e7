"""The manager's and the agent's dashboards, their CSV exports and /api/v1/kpis/: the page, the
API and the CSV agree to the digit; bad filters get a field message, never a 500; the number of
queries does not grow with the rows; every bar links to the filtered list it counts."""

import csv
import io
import re
from datetime import timedelta
from html import unescape

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from customers.csvio import neutralise_cell
from tickets.models import ServiceRecord

from .conftest import TODAY, generate

SINCE = (TODAY - timedelta(days=59)).isoformat()
QUERY = {"since": SINCE, "until": TODAY.isoformat()}


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _tile_texts(html: str) -> dict:
    """data-kpi → the figure as the tile shows it."""
    found = re.findall(
        r'data-kpi="([a-z0-9_]+)".*?class="figure-now"[^>]*>([^<]*)<', html, flags=re.S
    )
    return {key: unescape(text) for key, text in found}


def _csv(response) -> list[list[str]]:
    text = b"".join(response.streaming_content if response.streaming else [response.content])
    return list(csv.reader(io.StringIO(text.decode("utf-8").lstrip("\ufeff"))))


def test_page_api_and_csv_agree_to_the_digit(generated, frozen):
    g = generated
    query = {**QUERY, "department": g.departments[0].pk}
    page = _client(g.manager).get(reverse("dashboard:index"), query)
    api = _api(g.manager).get("/api/v1/kpis/", query)
    export = _client(g.manager).get(reverse("dashboard:export", args=["figures"]), query)
    assert page.status_code == api.status_code == export.status_code == 200
    tiles = _tile_texts(page.content.decode())
    rows = {row[0]: row for row in _csv(export)[1:]}
    figures = api.json()["figures"]
    assert len(figures) == len(tiles) == len(rows) >= 25
    for figure in figures:
        key = figure["key"]
        # the CSV writes what the page shows, a leading + or - made inert (write_csv)
        assert tiles[key] == figure["shown"], key
        assert rows[key][3] == neutralise_cell(figure["shown"]), key
        raw = "" if figure["value"] is None else str(figure["value"])
        assert rows[key][2] == neutralise_cell(raw), key
        if figure["previous"] is not None:
            assert float(rows[key][4].lstrip("'")) == figure["previous"], key
    assert api.json()["filters"]["department"] == g.departments[0].pk
    # the tables too
    steps = _client(g.manager).get(reverse("dashboard:export", args=["steps"]), query)
    step_rows = _csv(steps)[1:]
    assert [int(r[1]) for r in step_rows] == [s["count"] for s in api.json()["complaints_by_step"]]


def test_a_bar_links_to_the_list_it_counts(generated, frozen):
    g = generated
    client = _client(g.manager)
    api = _api(g.manager).get("/api/v1/kpis/", QUERY).json()
    page = client.get(reverse("dashboard:index"), QUERY).content.decode()
    for row in api["by_department"]:
        href = unescape(
            re.search(
                rf'data-chart="departments".*?href="([^"]*department={row["department_id"]}[^"]*)"',
                page,
                flags=re.S,
            ).group(1)
        )
        listed = client.get(href + "&page=1")
        assert listed.status_code == 200
        # the record list pages by 25 and says "of many" past the first page; count its rows
        # through its own filter instead: same words, same queryset
        from django.http import QueryDict

        from tickets.filters import RecordFilter
        from tickets.selectors import record_list

        params = QueryDict(href.split("?", 1)[1])
        filtered = RecordFilter(params, queryset=record_list(user=g.manager, due=False))
        assert filtered.is_valid()
        assert filtered.qs.count() == row["records"], row


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"since": "2025-06-01", "until": "2025-05-01"}, "until", "before its start"),
        ({"since": "2005-01-01", "until": "2025-01-01"}, "since", "at most 366 days"),
        ({"department": "999999"}, "department", "No such department"),
        ({"department": "abc"}, "department", "No such department"),
        ({"since": "2025-13-40"}, "since", "YYYY-MM-DD"),
    ],
)
def test_bad_filters_get_a_field_message(generated, frozen, query, field, message):
    g = generated
    page = _client(g.manager).get(reverse("dashboard:index"), query)
    assert page.status_code == 400
    assert message in unescape(page.content.decode())
    api = _api(g.manager).get("/api/v1/kpis/", query)
    assert api.status_code == 400
    body = api.json()["error"]
    assert body["code"] == "invalid"
    assert any(message in m for m in body["fields"][field]) or field in body["fields"]
    export = _client(g.manager).get(reverse("dashboard:export", args=["figures"]), query)
    assert export.status_code == 400


def test_an_agent_may_not_pick_another_agent_or_a_foreign_department(generated, frozen):
    g = generated
    agent = g.agents[0]  # in department 0 only
    api = _api(agent.user)
    other = api.get("/api/v1/kpis/", {"agent": g.agents[1].user.pk})
    assert other.status_code == 400
    assert "only your own results" in other.json()["error"]["fields"]["agent"][0]
    foreign = api.get("/api/v1/kpis/", {"department": g.departments[2].pk})
    assert foreign.status_code == 400
    assert "departments you belong to" in foreign.json()["error"]["fields"]["department"][0]
    own = api.get("/api/v1/kpis/", {"agent": agent.user.pk, "department": g.departments[0].pk})
    assert own.status_code == 200
    mine = api.get("/api/v1/kpis/")
    assert mine.json()["filters"]["agent"] == agent.user.pk
    page = _client(agent.user).get(reverse("dashboard:me"), {"department": g.departments[2].pk})
    assert page.status_code == 400
    assert "departments you belong to" in unescape(page.content.decode())
    assert _client(agent.user).get(reverse("dashboard:index")).status_code == 403


def test_unknown_query_parameters_are_refused_by_the_api(generated, frozen):
    response = _api(generated.manager).get("/api/v1/kpis/", {"departement": 1})
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["departement"] == ["Unknown field."]


def test_the_agent_dashboard_shows_my_results_and_praise(generated, frozen):
    from surveys.models import SurveyResponse

    g = generated
    agent = g.agents[1].user
    page = _client(agent).get(reverse("dashboard:me"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "No reviews of your work yet" in html  # tests/audit shows them when there are
    praised = SurveyResponse.objects.filter(
        agent=agent, rating__gte=4, answers__text__gt="",
        submitted_at__date__gte=TODAY - timedelta(days=89),
    ).count()  # fmt: skip
    assert praised > 0
    assert html.count("<blockquote>") == min(praised, 10)
    assert "=HYPERLINK" not in html or "=HYPERLINK(&quot;x&quot;)" in html
    api = _api(agent).get("/api/v1/kpis/").json()
    tiles = _tile_texts(html)
    assert {f["key"]: f["shown"] for f in api["figures"]} == tiles


def test_the_csv_neutralises_formulas(generated, frozen):
    from servicedesk.core.models import Department

    Department.objects.filter(pk=generated.departments[0].pk).update(name_en="=cmd|' /C calc'!A0")
    export = _client(generated.manager).get(
        reverse("dashboard:export", args=["departments"]), QUERY
    )
    labels = [row[0] for row in _csv(export)[1:]]
    assert "'=cmd|' /C calc'!A0" in labels


def test_the_dashboard_runs_a_bounded_number_of_queries(db, frozen, django_assert_max_num_queries):
    # given a desk three times as busy as the generated one
    g = generate(records_per_day=3.5, days=120, seed=11)
    assert ServiceRecord.objects.count() > 400
    client = _client(g.manager)
    client.get(reverse("dashboard:index"))  # warm: content types, sessions
    # then the page, the API and the agent's page each stay within a fixed number of queries
    with django_assert_max_num_queries(48):
        assert client.get(reverse("dashboard:index"), QUERY).status_code == 200
    with django_assert_max_num_queries(45):
        assert _api(g.manager).get("/api/v1/kpis/", QUERY).status_code == 200
    agent = _client(g.agents[0].user)
    agent.get(reverse("dashboard:me"))
    with django_assert_max_num_queries(41):
        assert agent.get(reverse("dashboard:me"), QUERY).status_code == 200


def test_an_export_of_the_figures_reads_no_breakdowns(
    generated, frozen, django_assert_max_num_queries
):
    # given the manager's dashboard warmed up (content types, sessions)
    client = _client(generated.manager)
    client.get(reverse("dashboard:index"))
    # when the figures are exported, the breakdowns, trend and fishbone are not computed
    with django_assert_max_num_queries(36):
        figures = client.get(reverse("dashboard:export", args=["figures"]), QUERY)
    # then the file is the page's figures all the same, and a breakdown's export still has its rows
    assert figures.status_code == 200
    assert len(_csv(figures)) - 1 == len(
        _api(generated.manager).get("/api/v1/kpis/", QUERY).json()["figures"]
    )
    departments = client.get(reverse("dashboard:export", args=["departments"]), QUERY)
    assert len(_csv(departments)) - 1 == len(generated.departments)
