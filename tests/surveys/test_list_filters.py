"""The survey answers list's filters beside since / until and score: the stage, department and
agent an answer names, its record's category and its customer's tier (the dashboards' drill-down
words); bad values get a field message and list nothing; the query count stays fixed."""

from datetime import date

import pytest

from surveys.models import SurveyInvitation
from tests.factories import CustomerFactory, DepartmentFactory, UserFactory
from tests.surveys.factories import answer, at
from tests.tickets.factories import CategoryFactory, RecordFactory
from tickets.models import Stage

DAY = date(2025, 6, 10)


def listed(client, query: str) -> set[int]:
    response = client.get(f"/surveys/?{query}")
    assert response.status_code == 200, response.content[:1500]
    assert not response.context["invalid_filter"]
    return {row.pk for row in response.context["page"].object_list}


def given(template, *, day=DAY, record=None, customer=None, **names):
    response = answer(
        template, customer or CustomerFactory(), at=at(day), values={}, **names
    )  # fmt: skip
    if record is not None:
        SurveyInvitation.objects.filter(pk=response.invitation_id).update(record=record)
    return response


def test_stage_department_and_agent_narrow_by_what_the_answer_names(client, manager, template):
    install = DepartmentFactory(code="install")
    someone = UserFactory()
    a = given(template, stage=Stage.PRE_SALE, department=install, agent=someone)
    b = given(template, stage=Stage.AFTER_SALE, department=install)
    c = given(template, stage=Stage.AFTER_SALE)
    client.force_login(manager)
    assert listed(client, "stage=pre_sale") == {a.pk}
    assert listed(client, f"department={install.pk}") == {a.pk, b.pk}
    assert listed(client, f"agent={someone.pk}") == {a.pk}
    assert listed(client, f"stage=after_sale&department={install.pk}") == {b.pk}
    assert listed(client, "stage=after_sale") == {b.pk, c.pk}


def test_category_and_tier_narrow_through_the_record_and_the_customer(client, manager, template):
    category = CategoryFactory()
    key = CustomerFactory(management_tier="key")
    a = given(template, record=RecordFactory(category=category), customer=key)
    b = given(template, record=RecordFactory(category=category))
    given(template, customer=CustomerFactory(management_tier="regular"))
    client.force_login(manager)
    assert listed(client, f"category={category.pk}") == {a.pk, b.pk}
    assert listed(client, "customer_tier=key") == {a.pk}


def test_the_new_filters_combine_with_the_period(client, manager, template):
    inside = given(template, day=DAY, stage=Stage.IN_SALE)
    given(template, day=date(2025, 6, 20), stage=Stage.IN_SALE)
    client.force_login(manager)
    assert listed(client, "since=2025-06-01&until=2025-06-15&stage=in_sale") == {inside.pk}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("stage=nowhere", "stage"),
        ("department=999999", "department"),
        ("department=abc", "department"),
        ("agent=999999", "agent"),
        ("category=abc", "category"),
        ("customer_tier=gold", "customer_tier"),
    ],
)
def test_bad_filters_get_a_field_message_and_list_nothing(client, manager, template, query, field):
    given(template)
    client.force_login(manager)
    response = client.get(f"/surveys/?{query}")
    assert response.status_code == 200
    assert response.context["invalid_filter"]
    assert field in response.context["filter"].errors
    assert not response.context["page"].object_list


def test_an_agent_sees_only_their_own_answers_whatever_the_filters(
    client, agent, department, template
):
    elsewhere = DepartmentFactory(code="elsewhere")
    mine = given(template, department=department)
    given(template, department=elsewhere)
    client.force_login(agent)
    assert listed(client, f"department={elsewhere.pk}") == set()
    assert listed(client, f"department={department.pk}") == {mine.pk}


def test_the_filtered_list_runs_a_fixed_number_of_queries(
    client, manager, template, django_assert_max_num_queries
):
    install = DepartmentFactory(code="install")
    someone = UserFactory()
    category = CategoryFactory()
    for _ in range(30):
        given(template, stage=Stage.AFTER_SALE, department=install, agent=someone,
              record=RecordFactory(category=category))  # fmt: skip
    client.force_login(manager)
    # The session's first request marks it used (one write); the measured one is the second.
    client.get("/surveys/")
    query = (
        f"stage=after_sale&department={install.pk}&agent={someone.pk}&category={category.pk}"
        "&since=2025-06-01&until=2025-06-30"
    )
    # Session, user, role; the templates; the department, agent and category checked; the
    # department control; the page of rows; the notification count.
    with django_assert_max_num_queries(11):
        response = client.get(f"/surveys/?{query}")
    assert len(response.context["page"].object_list) == 25
