"""The survey responses' API list, read as values (surveys.api.lists), answers exactly what
ResponseOutputSerializer answers for the same rows: every field, references, answers in order,
blanks as null, both languages, byte for byte once rendered."""

import pytest
from django.utils import translation
from rest_framework.renderers import JSONRenderer
from rest_framework.test import APIClient

from surveys.api import lists, queries
from surveys.api.serializers import ResponseOutputSerializer
from tests.factories import DepartmentFactory, UserFactory
from tests.surveys.factories import TemplateFactory, rating_template
from tests.surveys.test_api import answered
from tickets.models import Stage

pytestmark = pytest.mark.django_db
URL = "/api/v1/survey-responses/"


def rendered(data) -> bytes:
    return JSONRenderer().render(data)


@pytest.fixture
def responses(department, agent):
    """Every kind of value a row shows: with and without department, agent, stage, complaint,
    staff entry, comment; a template with no Chinese name; a Chinese staff name."""
    english_only = rating_template(name_zh="")
    chinese = UserFactory(username="wangli", first_name="丽", last_name="王")
    other = DepartmentFactory(code="install", name_en="Installation", name_zh="安装部")
    made = [
        answered(rating_template(), rating=5, nps=10),  # no department, nothing else
        answered(english_only, department=department, agent=agent, rating=1, nps=2, text="太慢"),
        answered(english_only, department=other, entered_by=chinese, rating=3, choice="better"),
    ]
    made[1].stage = Stage.AFTER_SALE
    made[1].save(update_fields=["stage"])
    return made


def serializer_items(user) -> list:
    qs = queries.with_response_data(queries.response_list(user))
    return ResponseOutputSerializer(qs, many=True).data


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_response_items_equal_the_serializers(responses, administrator, language):
    with translation.override(language):
        expected = serializer_items(administrator)
        rows = list(queries.response_list(administrator).values(*lists.RESPONSE_COLUMNS))
        got = lists.response_items(rows)
    assert len(got) == 3
    assert {item["stage"] for item in got} == {None, "after_sale"}
    assert {item["staff_entered"] for item in got} == {True, False}
    assert any(a["text"] == "太慢" for item in got for a in item["answers"])
    assert rendered(got) == rendered(expected)


def test_the_response_list_answers_the_serializers_items_page_by_page(responses, manager):
    client = APIClient()
    client.force_authenticate(manager)
    got, url = [], f"{URL}?page_size=2"
    while url:
        body = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").json()
        got += body["results"]
        url = body["next"]
    with translation.override("zh-hans"):
        expected = serializer_items(manager)
    assert rendered(got) == rendered(expected)
    low = client.get(f"{URL}?is_low=true").json()["results"]
    assert [r["id"] for r in low] == [responses[1].pk]


def test_a_template_without_answers_lists_nothing(administrator):
    TemplateFactory()
    client = APIClient()
    client.force_authenticate(administrator)
    assert client.get(URL).json() == {"next": None, "previous": None, "results": []}
