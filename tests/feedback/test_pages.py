"""The team pages: what each role sees, forms re-shown with errors, empty states that say what to
do next, conflicts shown, and bounded queries with enough rows that an N+1 would show."""

import re
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from servicedesk.core.models import Notification
from servicedesk.feedback.models import (
    DailyCase,
    HandoverRating,
    Meeting,
    Suggestion,
    SuggestionStatus,
)
from tests.factories import DepartmentFactory, MembershipFactory, UserFactory

from .factories import CaseFactory, MeetingFactory, RatingFactory, SuggestionFactory, shared_record

pytestmark = pytest.mark.django_db

ROWS = 30  # more than a page (25), so a query per row would show


@pytest.fixture
def many(agent, colleague, department, technical):
    today = timezone.localdate()
    for i in range(ROWS):
        CaseFactory(
            author=colleague if i % 2 else agent,
            department=department,
            record=shared_record(department, technical) if i % 3 == 0 else None,
            shared=i % 2 == 1,
            case_date=today - timedelta(days=i % 10),
        )
        SuggestionFactory(author=UserFactory(), is_anonymous=i % 2 == 0)
        MeetingFactory(attendees=[agent, colleague], department=department)
        sender, receiver = (department, technical) if i % 2 else (technical, department)
        RatingFactory(from_department=sender, to_department=receiver, score=i % 5 + 1)


# --- navigation and the team page -----------------------------------------------------------------


@pytest.mark.parametrize("who", ["agent", "manager", "administrator"])
def test_every_desk_role_has_the_team_section(client, request, who):
    client.force_login(request.getfixturevalue(who))
    page = client.get("/feedback/").content.decode()
    assert 'href="/feedback/" aria-current="page"' in page


def test_the_team_page_says_what_to_do_when_empty(client, agent, manager):
    client.force_login(agent)
    page = client.get("/feedback/").content.decode()
    assert "Nothing shared today yet" in page
    assert "You have not told a case yet" in page
    assert "Managers write them after each staff meeting" in page
    client.force_login(manager)
    page = client.get("/feedback/").content.decode()
    assert "/feedback/cases/?scope=unshared" in page
    assert "/feedback/meetings/new/" in page


@pytest.mark.parametrize("who", ["agent", "manager"])
def test_the_team_page_runs_a_bounded_number_of_queries(
    client, request, many, who, django_assert_max_num_queries
):
    client.force_login(request.getfixturevalue(who))
    with django_assert_max_num_queries(12):
        response = client.get("/feedback/")
    assert response.status_code == 200
    assert "Today's shared cases" in response.content.decode()


# --- cases ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "scope"),
    [("manager", "shared"), ("manager", "unshared"), ("manager", "all"), ("agent", "mine"),
     ("agent", "shared")],
)  # fmt: skip
def test_case_lists_are_bounded(client, request, many, who, scope, django_assert_max_num_queries):
    client.force_login(request.getfixturevalue(who))
    with django_assert_max_num_queries(10):
        response = client.get(f"/feedback/cases/?scope={scope}")
    assert response.status_code == 200
    # 15 rows of each kind (shared / not shared, the agent's / the colleague's), every one linked.
    expected = 25 if scope == "all" else 15
    assert response.content.decode().count('<td><a href="/feedback/cases/') == expected


def test_case_list_pages_on(client, manager, many):
    client.force_login(manager)
    first = client.get("/feedback/cases/?scope=all").content.decode()
    assert "1–25 of many" in first
    second = client.get("/feedback/cases/?scope=all&page=2").content.decode()
    assert "26–30 of 30" in second


def test_tell_a_case_and_see_it(client, agent, department):
    client.force_login(agent)
    form = client.get("/feedback/cases/new/?kind=failure").content.decode()
    assert re.search(r'value="failure"[^>]*checked', form)
    assert not re.search(r'value="success"[^>]*checked', form)
    response = client.post(
        "/feedback/cases/new/",
        {
            "kind": "failure",
            "title": "Forgot to call back",
            "happened": "The customer called twice.",
            "lesson": "Set a reminder.",
            "department": department.pk,
        },
    )
    case = DailyCase.objects.get()
    assert response.status_code == 302 and response.url == f"/feedback/cases/{case.pk}/"
    assert case.author == agent and case.department == department
    page = client.get(response.url).content.decode()
    assert "Forgot to call back" in page and "Not shared with the team" in page
    assert "Share with the team" not in page  # an agent cannot share


def test_a_case_form_with_errors_is_shown_again_with_the_input(client, agent, sales):
    client.force_login(agent)
    response = client.post(
        "/feedback/cases/new/",
        {"kind": "success", "title": "Kept <input>", "happened": "", "lesson": "x", "record": "x"},
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "Not saved yet" in page
    assert "Kept &lt;input&gt;" in page
    assert not DailyCase.objects.exists()


def test_a_record_the_author_cannot_see_is_an_error_on_the_form(client, agent, sales):
    hidden = shared_record(sales)
    client.force_login(agent)
    response = client.post(
        "/feedback/cases/new/",
        {"kind": "success", "title": "t", "happened": "h", "lesson": "l", "record": hidden.pk},
    )
    assert response.status_code == 400
    assert "Choose a service record you can see." in response.content.decode()


def test_a_manager_shares_and_unshares_a_case(client, manager, agent):
    case = CaseFactory(author=agent)
    client.force_login(manager)
    page = client.get(f"/feedback/cases/{case.pk}/").content.decode()
    assert "Share with the team" in page
    client.post(f"/feedback/cases/{case.pk}/share/", {"shared": "1"})
    case.refresh_from_db()
    assert case.shared_at is not None and case.shared_by == manager
    assert "Stop sharing" in client.get(f"/feedback/cases/{case.pk}/").content.decode()
    client.post(f"/feedback/cases/{case.pk}/share/", {"shared": "0"})
    case.refresh_from_db()
    assert case.shared_at is None


def test_an_agent_cannot_share(client, agent, colleague):
    case = CaseFactory(author=agent)
    client.force_login(colleague)
    assert client.post(f"/feedback/cases/{case.pk}/share/", {"shared": "1"}).status_code == 403
    case.refresh_from_db()
    assert case.shared_at is None


def test_unknown_pages_are_404(client, manager):
    client.force_login(manager)
    for url in ("/feedback/cases/999/", "/feedback/suggestions/999/", "/feedback/meetings/999/",
                "/feedback/meetings/999/edit/", "/feedback/handovers/new/?record=999"):  # fmt: skip
        assert client.get(url).status_code == 404, url
    assert client.post("/feedback/cases/999/share/", {"shared": "1"}).status_code == 404
    minutes = {"held_on": timezone.localdate().isoformat(), "title": "Weekly", "version": 1}
    assert client.post("/feedback/meetings/999/edit/", minutes).status_code == 404
    assert client.post("/feedback/suggestions/999/status/", {}).status_code == 404


# --- suggestions ----------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["agent", "manager"])
def test_suggestion_list_is_bounded(client, request, many, who, django_assert_max_num_queries):
    client.force_login(request.getfixturevalue(who))
    with django_assert_max_num_queries(10):
        response = client.get("/feedback/suggestions/")
    assert response.status_code == 200
    assert response.content.decode().count("/feedback/suggestions/") >= 25


def test_suggestion_box_empty_state(client, agent):
    client.force_login(agent)
    page = client.get("/feedback/suggestions/").content.decode()
    assert "The box is empty" in page and "/feedback/suggestions/new/" in page
    page = client.get("/feedback/suggestions/?status=declined").content.decode()
    assert "No suggestion matches this view." in page


def test_submit_a_suggestion_and_have_it_declined_with_a_reason(
    client, agent, manager, django_capture_on_commit_callbacks
):
    client.force_login(agent)
    response = client.post(
        "/feedback/suggestions/new/", {"title": "Every order signed", "body": "By a manager"}
    )
    suggestion = Suggestion.objects.get()
    assert response.url == f"/feedback/suggestions/{suggestion.pk}/"
    assert "Decide" not in client.get(response.url).content.decode()
    client.force_login(manager)
    page = client.get(response.url).content.decode()
    assert "Decide" in page and 'value="under_review"' in page
    # Declining without a reason: the form comes back with the error.
    refused = client.post(
        f"/feedback/suggestions/{suggestion.pk}/status/", {"to": "declined", "version": 1}
    )
    assert refused.status_code == 400
    assert "Say why" in refused.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(
            f"/feedback/suggestions/{suggestion.pk}/status/",
            {"to": "declined", "version": 1, "reason": "Slower for customers"},
        )
    assert done.status_code == 302
    suggestion.refresh_from_db()
    assert suggestion.status == SuggestionStatus.DECLINED
    assert Notification.objects.filter(recipient=agent, verb="suggestion_status").exists()
    client.force_login(agent)
    assert "Slower for customers" in client.get(done.url).content.decode()


def test_a_status_form_from_a_stale_page_is_a_conflict(client, manager, agent):
    suggestion = SuggestionFactory(author=agent)
    client.force_login(manager)
    url = f"/feedback/suggestions/{suggestion.pk}/status/"
    assert client.post(url, {"to": "under_review", "version": 1}).status_code == 302
    # A second manager's page still holds version 1 and the old choices.
    stale = client.post(url, {"to": "accepted", "version": 1})
    assert stale.status_code == 409
    assert "Someone else changed this suggestion" in stale.content.decode()
    suggestion.refresh_from_db()
    assert suggestion.status == SuggestionStatus.UNDER_REVIEW


def test_an_illegal_status_is_refused_on_the_form(client, manager, agent):
    suggestion = SuggestionFactory(author=agent)
    client.force_login(manager)
    response = client.post(
        f"/feedback/suggestions/{suggestion.pk}/status/", {"to": "implemented", "version": 1}
    )
    assert response.status_code == 400
    assert Suggestion.objects.get().status == SuggestionStatus.SUBMITTED


@pytest.mark.parametrize(
    ("status", "badge"),
    [
        (SuggestionStatus.SUBMITTED, 'class="badge"'),
        (SuggestionStatus.UNDER_REVIEW, 'class="badge"'),
        (SuggestionStatus.ACCEPTED, 'class="badge ok"'),
        (SuggestionStatus.IMPLEMENTED, 'class="badge ok"'),
        (SuggestionStatus.DECLINED, 'class="badge danger"'),
    ],
)
def test_a_suggestions_badge_has_one_tone_on_the_box_and_its_page(client, agent, status, badge):
    # given a suggestion in each status
    suggestion = SuggestionFactory(
        author=agent, status=status, response="No" if status == "declined" else ""
    )
    client.force_login(agent)
    # then the box's row and the suggestion's page show the same badge
    for url in ("/feedback/suggestions/", f"/feedback/suggestions/{suggestion.pk}/"):
        page = client.get(url).content.decode()
        assert f"<span {badge}>{suggestion.get_status_display()}</span>" in page, url


def test_an_agent_cannot_post_a_status(client, agent, colleague):
    suggestion = SuggestionFactory(author=colleague)
    client.force_login(agent)
    url = f"/feedback/suggestions/{suggestion.pk}/status/"
    assert client.post(url, {"to": "under_review", "version": 1}).status_code == 403


# --- meetings -------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["agent", "manager"])
def test_meeting_pages_are_bounded(client, request, many, who, django_assert_max_num_queries):
    client.force_login(request.getfixturevalue(who))
    with django_assert_max_num_queries(10):
        response = client.get("/feedback/meetings/")
    assert response.status_code == 200
    meeting = Meeting.objects.first()
    with django_assert_max_num_queries(10):
        detail = client.get(f"/feedback/meetings/{meeting.pk}/")
    assert "Call back missed calls within 30 minutes" in detail.content.decode()


def test_agents_read_minutes_but_do_not_write_them(client, agent):
    meeting = MeetingFactory()
    client.force_login(agent)
    assert (
        "Edit the minutes" not in client.get(f"/feedback/meetings/{meeting.pk}/").content.decode()
    )
    assert client.get("/feedback/meetings/new/").status_code == 403
    assert client.get(f"/feedback/meetings/{meeting.pk}/edit/").status_code == 403


def test_write_minutes_and_edit_them_with_a_conflict(client, manager, agent, department):
    client.force_login(manager)
    data = {
        "held_on": timezone.localdate().isoformat(),
        "title": "Weekend calls",
        "department": department.pk,
        "attendees": [agent.pk, manager.pk],
        "notes": "Too few people on Saturdays.",
        "decisions": "One more on Saturdays",
    }
    created = client.post("/feedback/meetings/new/", data)
    meeting = Meeting.objects.get()
    assert created.url == f"/feedback/meetings/{meeting.pk}/"
    assert set(meeting.attendees.all()) == {agent, manager}
    edit_url = f"/feedback/meetings/{meeting.pk}/edit/"
    assert 'name="version" value="1"' in client.get(edit_url).content.decode()
    assert client.post(edit_url, {**data, "title": "Weekend", "version": 1}).status_code == 302
    stale = client.post(edit_url, {**data, "title": "Saturday", "version": 1})
    page = stale.content.decode()
    assert stale.status_code == 409
    assert "Changed by someone else" in page and "Weekend" in page
    # The form now carries the current version: saving again applies it on purpose.
    assert 'name="version" value="2"' in page
    meeting.refresh_from_db()
    assert meeting.title == "Weekend"


def test_a_meeting_form_with_errors_is_shown_again(client, manager):
    client.force_login(manager)
    response = client.post(
        "/feedback/meetings/new/", {"held_on": "2026-13-40", "title": "Kept title"}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Enter a date as YYYY-MM-DD." in page and "Kept title" in page
    future = (timezone.localdate() + timedelta(days=3)).isoformat()
    response = client.post("/feedback/meetings/new/", {"held_on": future, "title": "x"})
    assert response.status_code == 400
    assert "Minutes are written after the meeting." in response.content.decode()


def test_meetings_empty_state(client, manager):
    client.force_login(manager)
    page = client.get("/feedback/meetings/").content.decode()
    assert "No minutes yet" in page and "/feedback/meetings/new/" in page


# --- internal customers ---------------------------------------------------------------------------


def test_internal_customers_is_the_managers(client, agent):
    client.force_login(agent)
    assert client.get("/feedback/handovers/").status_code == 403


def test_internal_customers_page_is_bounded_and_shows_each_pair(
    client, manager, many, department, technical, django_assert_max_num_queries
):
    client.force_login(manager)
    with django_assert_max_num_queries(10):
        response = client.get("/feedback/handovers/")
    page = response.content.decode()
    assert response.status_code == 200
    assert page.count("<td>15</td>") == 2  # 15 ratings each way
    assert "Latest ratings" in page


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("since=2026-05-01&until=2026-04-01", "The start is after the end."),
        ("since=2001-01-01&until=2021-01-01", "at most two years"),
        ("since=yesterday", "Enter a date as YYYY-MM-DD."),
        ("department=99999", "Select a valid choice."),
    ],
)
def test_internal_customers_refuses_bad_periods_with_a_message(client, manager, query, message):
    client.force_login(manager)
    response = client.get(f"/feedback/handovers/?{query}")
    assert response.status_code == 400
    assert message in response.content.decode()


def test_internal_customers_period_is_whole_days_in_the_users_time_zone(
    client, manager, department, technical
):
    # given ratings just inside and just outside 1–31 March in the desk's time zone
    tz = timezone.get_current_timezone()
    for at in (
        datetime(2026, 3, 1, 0, 0, tzinfo=tz),
        datetime(2026, 3, 31, 23, 59, tzinfo=tz),
        datetime(2026, 2, 28, 23, 59, tzinfo=tz),
        datetime(2026, 4, 1, 0, 0, tzinfo=tz),
    ):
        RatingFactory(from_department=department, to_department=technical, created_at=at)
    client.force_login(manager)
    # when the manager asks for March
    page = client.get("/feedback/handovers/?since=2026-03-01&until=2026-03-31").content.decode()
    # then the two ratings of March are counted, and only they
    assert "<td>2</td>" in page
    assert "<td>4</td>" not in page and "<td>3</td>" not in page


def test_internal_customers_empty_period_says_what_to_do(client, manager):
    client.force_login(manager)
    page = client.get("/feedback/handovers/?since=2020-01-01&until=2020-02-01").content.decode()
    assert "No handover was rated in this period" in page


def test_rate_a_handover_from_the_records_link(client, fitter, department, technical):
    record = shared_record(department, technical)
    client.force_login(fitter)
    url = f"/feedback/handovers/new/?record={record.pk}"
    form = client.get(url)
    assert form.status_code == 200
    assert record.reference in form.content.decode()
    response = client.post(
        url,
        {"from_department": department.pk, "to_department": technical.pk, "score": 2,
         "comment": "No address"},
    )  # fmt: skip
    assert response.status_code == 302 and response.url == f"/records/{record.pk}/"
    rating = HandoverRating.objects.get()
    assert (rating.score, rating.rated_by) == (2, fitter)
    again = client.post(
        url, {"from_department": department.pk, "to_department": technical.pk, "score": 5}
    )
    assert again.status_code == 400
    assert "already been rated" in again.content.decode()


def test_the_rating_form_explains_who_may_rate(client, agent, fitter, department, technical, sales):
    lonely = shared_record(department)
    client.force_login(agent)
    page = client.get(f"/feedback/handovers/new/?record={lonely.pk}").content.decode()
    assert "Only your department works on this record" in page
    outsider = UserFactory(username="outsider")
    MembershipFactory(user=outsider, department=sales)
    # An outsider who sees the record through its assignment, not a department.
    record = shared_record(department, technical)
    record.audience = {**record.audience, f"u{outsider.pk}": True}
    record.save()
    client.force_login(outsider)
    page = client.get(f"/feedback/handovers/new/?record={record.pk}").content.decode()
    assert "Only members of a department working on this record" in page
    assert client.get("/feedback/handovers/new/").status_code == 200


def test_a_record_the_user_cannot_see_is_404_on_the_rating_form(client, fitter, department):
    hidden = shared_record(DepartmentFactory(code="finance"), department)
    client.force_login(fitter)
    assert client.get(f"/feedback/handovers/new/?record={hidden.pk}").status_code == 404
    response = client.post(
        f"/feedback/handovers/new/?record={hidden.pk}",
        {"from_department": 1, "to_department": 2, "score": 3},
    )
    assert response.status_code == 404
