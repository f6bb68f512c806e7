"""The callback visits' API list, read as values (followups.api.lists), answers exactly what
VisitOutputSerializer answers for the same rows: every field, references, phone, timing, nulls,
byte for byte once rendered."""

from datetime import timedelta

import pytest
from django.utils import timezone, translation
from rest_framework.renderers import JSONRenderer

from followups import selectors
from followups.api import lists
from followups.api.serializers import VisitOutputSerializer
from followups.models import Expectation, ProductState, VisitStatus
from tests.factories import ContactFactory, CustomerFactory, PhoneFactory, UserFactory
from tests.followups.factories import VisitFactory
from tests.tickets.factories import RecordFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/callbacks/"


def rendered(data) -> bytes:
    return JSONRenderer().render(data)


@pytest.fixture
def visits(department, agent, category):
    now = timezone.now()
    customer = CustomerFactory(name="李伟")
    contact = ContactFactory(customer=customer)
    PhoneFactory(contact=contact, value="+8613800000002")
    PhoneFactory(contact=contact, value="+8613800000001", is_primary=False)
    record = RecordFactory(category=category, customer=customer)
    chinese = UserFactory(username="wangli", first_name="丽", last_name="王")
    return [
        VisitFactory(department=department),  # upcoming, nothing else
        VisitFactory(
            department=department,
            customer=customer,
            assignee=agent,
            source_record=record,
            due_at=now - timedelta(hours=2),  # due
        ),
        VisitFactory(
            department=department,
            assignee=chinese,
            due_at=now - timedelta(days=3),
            window_end=now - timedelta(days=1),  # overdue
        ),
        VisitFactory(
            department=department,
            customer=customer,
            status=VisitStatus.DONE,
            reached=True,
            reached_person="李先生",
            product_state=ProductState.choices[0][0],
            expectation=Expectation.choices[0][0],
            satisfaction=4,
            completed_at=now,
            new_issue_record=record,
            new_need_record=record,
        ),
    ]


def serializer_visits(user, now) -> list:
    qs = selectors.visit_list(user)
    return VisitOutputSerializer(qs, many=True, context={"now": now}).data


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_visit_items_equal_the_serializers(visits, agent, language):
    now = timezone.now()
    with translation.override(language):
        expected = serializer_visits(agent, now)
        rows = list(selectors.visit_list(agent).prefetch_related(None).values(*lists.VISIT_COLUMNS))
        got = lists.visit_items(rows, now)
    assert {v["timing"] for v in got} == {"upcoming", "due", "overdue", "done"}
    assert {v["phone"] for v in got} == {None, "+8613800000002"}
    assert rendered(got) == rendered(expected)


def test_the_visit_list_answers_the_serializers_items_page_by_page(visits, agent, agent_api):
    now = timezone.now()
    got, url = [], f"{URL}?page_size=2"
    while url:
        body = agent_api.get(url).json()
        got += body["results"]
        url = body["next"]
    assert rendered(got) == rendered(serializer_visits(agent, now))
    done = agent_api.get(f"{URL}?status=done").json()["results"]
    assert [v["id"] for v in done] == [visits[3].pk]
