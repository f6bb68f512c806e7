"""The surveys API: templates (read by staff, written by administrators with a version),
invitations from an integration (the link shown once) and the responses' list and filters."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from servicedesk.core.roles import Role
from surveys import services
from surveys.models import (
    Answer,
    Channel,
    InvitationStatus,
    Kind,
    Question,
    SurveyInvitation,
    SurveyPolicy,
    SurveyTemplate,
)
from tests.factories import CustomerFactory, DepartmentFactory, MembershipFactory, UserFactory
from tests.surveys.factories import answers_for, rating_template
from tests.tickets.factories import RecordFactory, installation_category

pytestmark = pytest.mark.django_db
TEMPLATES = "/api/v1/survey-templates/"
INVITATIONS = "/api/v1/survey-invitations/"
RESPONSES = "/api/v1/survey-responses/"


@pytest.fixture
def category(department):
    return installation_category(department)


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def answered(template, *, department=None, agent=None, entered_by=None, now=None, **answers):
    """A response of a new customer, its invitation in `department` naming `agent`."""
    customer = CustomerFactory()
    invitation = services.survey_invite(
        template=template, customer_id=customer.pk, channel=Channel.LINK
    )
    SurveyInvitation.objects.filter(pk=invitation.pk).update(department=department, agent=agent)
    return services.survey_submit(
        invitation_id=invitation.pk,
        data=answers_for(template, **answers),
        entered_by=entered_by,
        now=now,
    )


def question(**fields):
    return {"kind": "rating", "aim": "satisfaction", "text_en": "How did we do?", **fields}


def new_template(**fields):
    return {
        "key": "after-install",
        "name_en": "After an installation",
        "name_zh": "安装后调查",
        "purpose": "after_service",
        "commitment_en": "If many of you say so, we will change it.",
        "questions": [
            question(is_main=True, text_zh="您对安装满意吗?"),
            question(kind="nps", text_en="Recommend us?"),
            question(
                kind="choice",
                aim="wants",
                text_en="What matters most?",
                choices=[{"value": "time", "en": "On time"}, {"value": "clean", "en": "Clean"}],
            ),
            question(kind="text", aim="suggestions", text_en="Anything else?", required=False),
        ],
        **fields,
    }


def error_fields(response, status=400) -> dict:
    assert response.status_code == status, response.content[:500]
    error = response.json()["error"]
    assert error["status"] == status
    return error.get("fields", {})


# --- templates ------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["agent", "manager", "administrator"])
def test_templates_are_read_by_every_desk_role(request, role, template):
    client = api(request.getfixturevalue(role))
    listed = client.get(f"{TEMPLATES}?page_size=100").json()["results"]
    assert template.pk in [t["id"] for t in listed]
    response = client.get(f"{TEMPLATES}{template.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    assert response["ETag"] == '"1"'
    body = response.json()
    assert [q["position"] for q in body["questions"]] == [1, 2, 3, 4]
    first, _nps, choice, text = body["questions"]
    assert first["kind"] == "rating" and first["is_main"] and first["text"] == "您对服务满意吗?"
    assert first["text_en"] == "How satisfied are you with the service?"
    assert choice["choices"][0] == {"value": "better", "en": "Better", "zh": "更好"}
    assert text["required"] is False and text["aim"] == "suggestions" and text["standard"] is None


def test_templates_need_a_desk_role(template):
    assert APIClient().get(TEMPLATES).status_code in (401, 403)
    nobody = UserFactory(username="nobody", role="")
    assert api(nobody).get(TEMPLATES).status_code == 403


def test_an_administrator_creates_a_template_with_its_questions(administrator):
    response = api(administrator).post(TEMPLATES, new_template(), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["version"] == 1 and body["is_active"] and body["offers_gift"] is False
    assert [(q["position"], q["kind"]) for q in body["questions"]] == [
        (1, "rating"),
        (2, "nps"),
        (3, "choice"),
        (4, "text"),
    ]
    # A missing Chinese label is stored empty, answered as "".
    assert body["questions"][2]["choices"][1] == {"value": "clean", "en": "Clean", "zh": ""}
    template = SurveyTemplate.objects.get(key="after-install")
    assert template.questions.get(is_main=True).text_zh == "您对安装满意吗?"


@pytest.mark.parametrize("role", ["agent", "manager"])
def test_only_administrators_write_templates(request, role, template):
    client = api(request.getfixturevalue(role))
    assert client.post(TEMPLATES, new_template(), format="json").status_code == 403
    response = client.patch(
        f"{TEMPLATES}{template.pk}/", {"name_en": "Mine", "version": 1}, format="json"
    )
    assert response.status_code == 403
    assert not SurveyTemplate.objects.filter(key="after-install").exists()
    template.refresh_from_db()
    assert template.name_en != "Mine" and template.version == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"colour": "red"}, "colour"),
        ({"version": 3}, "version"),
        ({"questions": []}, "questions"),
        ({"commitment_en": ""}, "commitment_en"),
        ({"purpose": "fun"}, "purpose"),
        ({"key": "after-service"}, "key"),  # a default template's key
    ],
)
def test_template_create_refuses_bad_input(administrator, change, field):
    response = api(administrator).post(TEMPLATES, new_template(**change), format="json")
    assert field in error_fields(response)
    assert not SurveyTemplate.objects.filter(name_en="After an installation").exists()


@pytest.mark.parametrize(
    ("item", "field"),
    [
        (question(colour="red"), "colour"),
        (question(position=3), "position"),
        (question(kind="choice", choices=[{"value": "a", "en": "A"}]), "choices"),
        (question(choices=[{"value": "a", "en": "A"}, {"value": "b", "en": "B"}]), "choices"),
        (question(kind="text", is_main=True), "is_main"),
        (question(standard=7), "standard"),
        (question(aim="mood"), "aim"),
    ],
)
def test_a_bad_question_is_named_in_its_place(administrator, item, field):
    payload = new_template()
    payload["questions"][1] = item
    fields = error_fields(api(administrator).post(TEMPLATES, payload, format="json"))
    assert field in fields["questions"]["1"], fields  # by the item's index


def test_two_main_ratings_are_refused(administrator):
    payload = new_template()
    payload["questions"][3] = question(is_main=True)
    fields = error_fields(api(administrator).post(TEMPLATES, payload, format="json"))
    assert fields == {"questions": ["Mark at most one question as the main rating."]}


def test_a_template_update_needs_the_version_and_a_stale_one_is_a_409(administrator, template):
    client = api(administrator)
    url = f"{TEMPLATES}{template.pk}/"
    assert "version" in error_fields(client.patch(url, {"name_en": "New"}, format="json"))

    ok = client.patch(url, {"name_en": "New"}, format="json", HTTP_IF_MATCH='"1"')
    assert ok.status_code == 200 and ok.json()["version"] == 2 and ok["ETag"] == '"2"'

    stale = client.patch(url, {"name_en": "Newer", "version": 1}, format="json")
    assert stale.status_code == 409
    assert stale.json()["error"]["code"] == "conflict"
    assert stale.json()["error"]["current"] == 2
    template.refresh_from_db()
    assert template.name_en == "New" and template.version == 2


def test_a_template_key_does_not_change(administrator, template):
    response = api(administrator).patch(
        f"{TEMPLATES}{template.pk}/", {"key": "other", "version": 1}, format="json"
    )
    assert "new template" in error_fields(response)["key"][0]


def test_an_update_reorders_changes_adds_and_removes_questions(administrator, template):
    rating, nps, choice, text = template.questions.order_by("position")
    payload = {
        "version": 1,
        "questions": [
            {"id": text.pk, "kind": "text", "aim": "complaints", "text_en": "What went wrong?"},
            question(text_en="Was the engineer polite?", standard=2),
            {"id": rating.pk, "kind": "rating", "aim": "satisfaction", "text_en": "Overall?"},
            {
                "id": nps.pk,
                "kind": "nps",
                "aim": "satisfaction",
                "text_en": "Recommend?",
                "is_main": False,
            },
        ],
    }
    response = api(administrator).patch(f"{TEMPLATES}{template.pk}/", payload, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["version"] == 2
    assert [q["text_en"] for q in body["questions"]] == [
        "What went wrong?",
        "Was the engineer polite?",
        "Overall?",
        "Recommend?",
    ]
    assert [q["id"] for q in body["questions"]][0] == text.pk
    assert body["questions"][1]["standard"] == 2
    assert not Question.objects.filter(pk=choice.pk).exists()
    # The main rating is the one marked now: none.
    assert not template.questions.filter(is_main=True).exists()


def test_answered_questions_keep_their_kind_and_stay(administrator, template):
    answered(template)
    rating, nps, choice, text = template.questions.order_by("position")
    url = f"{TEMPLATES}{template.pk}/"
    kept = [
        {"id": q.pk, "kind": q.kind, "aim": q.aim, "text_en": q.text_en, "choices": q.choices}
        for q in (rating, nps, choice, text)
    ]
    # The choice was answered (the comment was left empty, so it has no answer).
    without_choice = [kept[0], kept[1], kept[3]]
    removed = api(administrator).patch(
        url, {"version": 1, "questions": without_choice}, format="json"
    )
    assert "cannot be removed" in error_fields(removed)["questions"][0]
    changed = [*kept[:2], {**kept[2], "kind": "text", "choices": []}, kept[3]]
    refused = api(administrator).patch(url, {"version": 1, "questions": changed}, format="json")
    assert "kind cannot change" in error_fields(refused)["questions"][0]
    # The unanswered comment can go, and the answered ones can be reworded.
    reworded = [*kept[:2], {**kept[2], "text_en": "Compared with your hopes?"}]
    ok = api(administrator).patch(url, {"version": 1, "questions": reworded}, format="json")
    assert ok.status_code == 200, ok.content
    assert [q["id"] for q in ok.json()["questions"]] == [rating.pk, nps.pk, choice.pk]
    assert not Question.objects.filter(pk=text.pk).exists()
    assert Answer.objects.filter(question=choice).exists()
    template.refresh_from_db()
    assert template.version == 2 and template.questions.count() == 3


def test_a_question_of_another_template_is_refused(administrator, template):
    other = rating_template()
    foreign = other.questions.first()
    payload = {"version": 1, "questions": [{"id": foreign.pk, **question()}]}
    response = api(administrator).patch(f"{TEMPLATES}{template.pk}/", payload, format="json")
    assert "not a question of this template" in error_fields(response)["questions"][0]


def test_template_list_queries_do_not_grow_with_rows(administrator, django_assert_max_num_queries):
    for _ in range(30):
        rating_template()
    client = api(administrator)
    with django_assert_max_num_queries(3):  # the page, its questions, the role
        body = client.get(f"{TEMPLATES}?page_size=100").json()
    assert len(body["results"]) >= 30
    assert all(len(t["questions"]) >= 1 for t in body["results"])


# --- invitations ----------------------------------------------------------------------------------


def test_a_link_invitation_answers_its_link_once(agent, template, customer):
    response = api(agent).post(
        INVITATIONS,
        {"customer": customer.pk, "template": template.pk, "channel": "link"},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "pending" and body["channel"] == "link"
    assert body["expires_at"] and body["subject"] == f"customer:{customer.pk}"
    token = body["link"].rstrip("/").rsplit("/", 1)[-1]
    assert body["link"].startswith("https://desk.example.test/s/")
    invitation = services.invitation_for_token(token)
    assert invitation.pk == body["id"] and invitation.created_by == agent

    # Reads never show it: not in the item, not in the list.
    one = api(agent).get(f"{INVITATIONS}{body['id']}/")
    listed = api(agent).get(INVITATIONS)
    for read in (one, listed):
        assert read.status_code == 200
        assert token.encode() not in read.content
    assert "link" not in one.json() and "link" not in listed.json()["results"][0]


def test_an_email_invitation_has_no_link_and_is_queued(agent, template, customer):
    body = (
        api(agent)
        .post(INVITATIONS, {"customer": customer.pk, "template": template.pk}, format="json")
        .json()
    )
    assert body["channel"] == "email" and body["link"] is None
    assert SurveyInvitation.objects.get(pk=body["id"]).email == "li.wei@example.com"


def test_an_invitation_follows_a_visible_record_of_the_customer(
    agent, template, customer, category
):
    record = RecordFactory(customer=customer, category=category, assignee=agent)
    body = (
        api(agent)
        .post(
            INVITATIONS,
            {
                "customer": customer.pk,
                "template": template.pk,
                "record": record.pk,
                "channel": "phone",
            },
            format="json",
        )
        .json()
    )
    assert body["record"] == record.pk and body["subject"] == f"record:{record.pk}"
    assert body["department"]["id"] == category.lead_department_id
    assert body["agent"]["id"] == agent.pk and body["stage"] == record.stage
    assert body["link"] is None


def test_not_invited_is_a_400_naming_the_field(agent, template, customer, category):
    client = api(agent)
    record = RecordFactory(customer=customer, category=category)
    payload = {"customer": customer.pk, "template": template.pk, "record": record.pk}
    assert client.post(INVITATIONS, payload, format="json").status_code == 201

    # the same record again: an open invitation about it
    SurveyPolicy.objects.update(min_days_between=0)
    fields = error_fields(client.post(INVITATIONS, payload, format="json"))
    assert fields == {"record": ["The customer already has an open survey about this."]}

    # anything else within the policy's days
    SurveyPolicy.objects.update(min_days_between=30)
    other = {"customer": customer.pk, "template": template.pk, "channel": "link"}
    fields = error_fields(client.post(INVITATIONS, other, format="json"))
    assert fields == {"customer": ["The customer was asked in the last 30 days."]}

    # an e-mail with no address
    nobody = CustomerFactory()
    fields = error_fields(
        client.post(INVITATIONS, {"customer": nobody.pk, "template": template.pk}, format="json")
    )
    assert fields == {"channel": ["The customer has no e-mail address."]}
    assert SurveyInvitation.objects.count() == 1


def test_an_inactive_template_is_not_invited_to(agent, customer):
    template = rating_template(is_active=False)
    response = api(agent).post(
        INVITATIONS, {"customer": customer.pk, "template": template.pk}, format="json"
    )
    assert error_fields(response) == {"template": ["This survey template is not active."]}


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"template": "T"}, "customer"),  # missing
        ({"customer": 999999, "template": "T"}, "customer"),  # unknown
        ({"customer": "C"}, "template"),
        ({"customer": "C", "template": 999999}, "template"),
        ({"customer": "C", "template": "T", "channel": "fax"}, "channel"),
        ({"customer": "C", "template": "T", "colour": "red"}, "colour"),
        ({"customer": "C", "template": "T", "token": "abc"}, "token"),
        ({"customer": "C", "template": "T", "status": "answered"}, "status"),
        ({"customer": "C", "template": "T", "record": 999999}, "record"),
        ({"customer": "C", "template": "T", "visit": 999999}, "visit"),
        ({"customer": "C", "template": "T", "complaint": 999999}, "complaint"),
        ({"customer": "C", "template": "T", "record": "R", "complaint": 1}, "complaint"),
        ({"customer": "C", "template": "T", "record": "OTHER"}, "record"),
    ],
)
def test_an_invitation_refuses_bad_input(agent, template, customer, category, payload, field):
    mine = RecordFactory(customer=customer, category=category)
    someone_elses = RecordFactory(category=category)
    values = {"C": customer.pk, "T": template.pk, "R": mine.pk, "OTHER": someone_elses.pk}
    payload = {k: values.get(v, v) if isinstance(v, str) else v for k, v in payload.items()}
    response = api(agent).post(INVITATIONS, payload, format="json")
    assert field in error_fields(response), response.json()
    assert not SurveyInvitation.objects.exists()


def test_an_invitation_about_an_unseen_record_is_refused(agent, template, customer):
    hidden = RecordFactory(customer=customer)  # another department's
    response = api(agent).post(
        INVITATIONS,
        {"customer": customer.pk, "template": template.pk, "record": hidden.pk},
        format="json",
    )
    assert error_fields(response) == {"record": ["Not found, or not visible to you."]}


@pytest.fixture
def invitations(template, agent, department):
    """Mine by department, mine by agent, made by me, and one of another department."""
    other = DepartmentFactory(code="finance")
    made = []
    for dep, who, by in (
        (department, None, None),
        (other, agent, None),
        (other, None, agent),
        (other, None, None),
    ):
        invitation = services.survey_invite(
            template=template, customer_id=CustomerFactory().pk, channel=Channel.LINK, by=by
        )
        SurveyInvitation.objects.filter(pk=invitation.pk).update(department=dep, agent=who)
        made.append(invitation)
    return made


def test_invitations_are_visible_by_department_agent_and_maker(
    invitations, agent, manager, administrator
):
    seen = [i["id"] for i in api(agent).get(INVITATIONS).json()["results"]]
    assert seen == [i.pk for i in reversed(invitations[:3])]
    assert api(agent).get(f"{INVITATIONS}{invitations[3].pk}/").status_code == 404
    for boss in (manager, administrator):
        assert len(api(boss).get(INVITATIONS).json()["results"]) == 4


def test_invitation_filters(invitations, administrator, template):
    SurveyInvitation.objects.filter(pk=invitations[0].pk).update(status=InvitationStatus.CANCELLED)
    client = api(administrator)
    got = client.get(f"{INVITATIONS}?status=cancelled").json()["results"]
    assert [i["id"] for i in got] == [invitations[0].pk]
    assert client.get(f"{INVITATIONS}?channel=email").json()["results"] == []
    assert len(client.get(f"{INVITATIONS}?template={template.pk}").json()["results"]) == 4
    assert "status" in error_fields(client.get(f"{INVITATIONS}?status=lost"))


def test_invitation_list_queries_do_not_grow_with_rows(
    template, administrator, department, agent, django_assert_max_num_queries
):
    for _ in range(40):
        invitation = services.survey_invite(
            template=template, customer_id=CustomerFactory().pk, channel=Channel.LINK
        )
        SurveyInvitation.objects.filter(pk=invitation.pk).update(department=department, agent=agent)
    client = api(administrator)
    with django_assert_max_num_queries(2):  # the page, joined; the role
        body = client.get(f"{INVITATIONS}?page_size=100").json()
    assert len(body["results"]) == 40
    assert body["results"][0]["agent"]["username"] == "agent"


# --- responses ------------------------------------------------------------------------------------


@pytest.fixture
def responses(template, department, agent):
    """Mine by department, mine by agent (another department), and another department's."""
    other = DepartmentFactory(code="finance")
    return [
        answered(template, department=department, rating=5, nps=10),
        answered(template, department=other, agent=agent, rating=2, nps=3, entered_by=agent),
        answered(template, department=other, rating=4, nps=7, text="门没装好"),
    ]


def test_responses_are_visible_by_department_and_agent(responses, agent, manager, administrator):
    client = api(agent)
    seen = [r["id"] for r in client.get(RESPONSES).json()["results"]]
    assert sorted(seen) == sorted(r.pk for r in responses[:2])
    assert client.get(f"{RESPONSES}{responses[2].pk}/").status_code == 404
    mine = client.get(f"{RESPONSES}{responses[1].pk}/").json()
    assert mine["staff_entered"] is True and mine["entered_by"]["id"] == agent.pk
    assert mine["is_low"] is True and mine["rating"] == 2 and mine["nps"] == 3
    assert [a["position"] for a in mine["answers"]] == [1, 2, 3]  # the comment was left empty
    assert mine["answers"][0] == {
        "question": mine["answers"][0]["question"],
        "position": 1,
        "kind": "rating",
        "aim": "satisfaction",
        "question_text": "How satisfied are you with the service?",
        "number": 2,
        "choice": None,
        "text": None,
    }
    for boss in (manager, administrator):
        assert len(api(boss).get(RESPONSES).json()["results"]) == 3


def test_a_user_without_a_role_sees_no_responses(responses):
    nobody = UserFactory(username="nobody", role="")
    assert api(nobody).get(RESPONSES).status_code == 403


def test_responses_are_read_only(responses, administrator):
    client = api(administrator)
    assert client.post(RESPONSES, {}, format="json").status_code == 405
    url = f"{RESPONSES}{responses[0].pk}/"
    assert client.patch(url, {"rating": 1}, format="json").status_code == 405
    assert client.delete(url).status_code == 405


def test_response_filters(template, department, administrator):
    now = timezone.now()
    old = answered(template, department=department, now=now - timedelta(days=40), rating=4)
    low = answered(template, department=department, rating=1, nps=0)
    typed = answered(template, department=department, rating=5, nps=9, entered_by=administrator)
    other = rating_template()
    elsewhere = answered(other, rating=3, nps=8)
    client = api(administrator)

    def ids(query):
        response = client.get(f"{RESPONSES}?{query}")
        assert response.status_code == 200, response.content
        return sorted(r["id"] for r in response.json()["results"])

    today = timezone.localdate()
    assert ids(f"submitted_from={today}") == sorted([low.pk, typed.pk, elsewhere.pk])
    assert ids(f"submitted_to={today - timedelta(days=1)}") == [old.pk]
    assert ids(
        f"submitted_from={today - timedelta(days=41)}&submitted_to={today - timedelta(days=39)}"
    ) == [old.pk]
    assert ids(f"template={other.pk}") == [elsewhere.pk]
    assert ids("rating=1") == [low.pk]
    assert ids("nps=9") == sorted([old.pk, typed.pk])
    assert ids("is_low=true") == [low.pk]
    assert ids("staff_entered=true") == [typed.pk]
    assert ids("staff_entered=false") == sorted([old.pk, low.pk, elsewhere.pk])
    assert ids(f"department={department.pk}&rating=5") == [typed.pk]
    assert ids(f"customer={low.customer_id}") == [low.pk]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("rating=6", "rating"),
        ("rating=0", "rating"),
        ("nps=11", "nps"),
        ("nps=-1", "nps"),
        ("submitted_from=yesterday", "submitted_from"),
        ("submitted_to=2026-13-45", "submitted_to"),
        ("submitted_from=0001-01-01", "submitted_from"),
        ("submitted_to=9999-12-31", "submitted_to"),
        ("template=999999", "template"),
        ("template=abc", "template"),
    ],
)
def test_bad_response_filters_are_a_400_naming_them(administrator, query, field):
    assert field in error_fields(api(administrator).get(f"{RESPONSES}?{query}"))


def test_the_response_list_pages_by_cursor(template, administrator):
    made = [answered(template) for _ in range(5)]
    client = api(administrator)
    got, url = [], f"{RESPONSES}?page_size=2"
    while url:
        body = client.get(url).json()
        assert "count" not in body
        got += [r["id"] for r in body["results"]]
        url = body["next"]
    assert got == [r.pk for r in reversed(made)]


def test_response_list_queries_do_not_grow_with_rows(
    template, department, agent, django_assert_max_num_queries
):
    other = DepartmentFactory(code="finance")
    for n in range(40):
        answered(
            template,
            department=department if n % 2 else other,
            agent=agent if n % 4 == 0 else None,
            entered_by=agent if n % 3 == 0 else None,
            rating=1 + n % 5,
            text=f"意见 {n}",
        )
    # An agent of one department: the page's values and its answers, and at most the role and
    # departments once.
    client = api(agent)
    with django_assert_max_num_queries(4):
        body = client.get(f"{RESPONSES}?page_size=100").json()
    assert len(body["results"]) == 30  # 20 of the department, 10 more naming the agent
    assert all(len(r["answers"]) == 4 for r in body["results"])
    with django_assert_max_num_queries(4):
        one = client.get(f"{RESPONSES}{body['results'][0]['id']}/")
    assert one.status_code == 200


def test_a_member_of_a_department_sees_its_responses(template):
    # Membership is the rule, not the role's name: a second agent of another department.
    finance = DepartmentFactory(code="finance")
    clerk = UserFactory(username="clerk", role=Role.AGENT)
    MembershipFactory(user=clerk, department=finance)
    theirs = answered(template, department=finance)
    answered(template)
    assert [r["id"] for r in api(clerk).get(RESPONSES).json()["results"]] == [theirs.pk]


def test_openapi_lists_the_survey_endpoints(agent_api):
    schema = agent_api.get("/api/schema/?format=json").json()
    for path in (TEMPLATES, f"{TEMPLATES}{{id}}/", INVITATIONS, RESPONSES, f"{RESPONSES}{{id}}/"):
        assert f"{path}" in schema["paths"], path
    created = schema["paths"][INVITATIONS]["post"]["responses"]["201"]
    assert created["content"]["application/json"]["schema"]["$ref"].endswith("InvitationCreated")
    read = schema["components"]["schemas"]["InvitationOutput"]["properties"]
    assert "link" not in read and "token" not in read
    assert (
        Kind.RATING
        in schema["components"]["schemas"]["QuestionOutput"]["properties"]["kind"]["pattern"]
    )
