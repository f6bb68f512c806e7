"""The audit's staff pages: the review list (bounded queries), a new review re-shown with its
errors, the review page with the agent's acknowledgement, check forms and the scorecard."""

import pytest
from django.template.loader import render_to_string
from django.utils import timezone, translation

from servicedesk.audit.models import Review, Scorecard
from servicedesk.audit.selectors import agent_averages
from tests.factories import MembershipFactory, UserFactory

from .factories import ComplaintFactory, handled_record, review

pytestmark = pytest.mark.django_db


@pytest.fixture
def many(manager, agent, department, six_steps):
    """25 reviews of the agent's work and 5 of a colleague's."""
    colleague = UserFactory(username="colleague", first_name="Wei", last_name="Zhang")
    MembershipFactory(user=colleague, department=department)
    made = [
        review(manager, six_steps, record=handled_record(department, agent), points=i % 6)
        for i in range(25)
    ]
    made += [
        review(manager, six_steps, complaint=ComplaintFactory(
            record=handled_record(department, colleague, status="open")))
        for _ in range(5)
    ]  # fmt: skip
    return made


def test_the_list_runs_a_bounded_number_of_queries(
    client, manager, many, django_assert_max_num_queries
):
    client.force_login(manager)
    # Session, user, role; agents, departments and forms for the filters; the page of rows;
    # the per-agent averages; the notification count.
    with django_assert_max_num_queries(10):
        first = client.get("/audit/")
    html = first.content.decode()
    assert first.status_code == 200
    assert html.count('href="/audit/reviews/') == 25
    assert "Review averages per agent" in html and "Wei Zhang" in html
    with django_assert_max_num_queries(10):
        second = client.get("/audit/?page=2").content.decode()
    assert second.count('href="/audit/reviews/') == 5 and "26–30 of 30" in second
    assert "complaint" in second


def test_the_list_filters_by_agent_and_refuses_a_bad_filter(client, manager, agent, many):
    client.force_login(manager)
    page = client.get(f"/audit/?agent={agent.pk}").content.decode()
    rows = page.split("<tbody>")[1].split("</tbody>")[0]
    assert rows.count('href="/audit/reviews/') == 25 and "Wei Zhang" not in rows
    bad = client.get("/audit/?department=abc")
    assert bad.status_code == 200
    assert "These filters cannot be used" in bad.content.decode()


def test_an_agent_sees_only_their_own_reviews(client, agent, many):
    client.force_login(agent)
    page = client.get("/audit/?page=2").content.decode()
    assert "My reviews" in page
    assert "Review averages per agent" not in page
    mine = client.get("/audit/mine/").content.decode()
    assert mine.count('href="/audit/reviews/') == 25
    colleague_review = many[-1]
    assert client.get(f"/audit/reviews/{colleague_review.pk}/").status_code == 404


def test_the_navigation_offers_the_audit_by_role(client, manager, agent):
    client.force_login(manager)
    assert 'href="/audit/"' in client.get("/audit/").content.decode()
    client.force_login(agent)
    page = client.get("/audit/mine/").content.decode()
    assert 'href="/audit/mine/"' in page
    assert "No reviews of your work yet" in page


def test_the_empty_list_says_how_to_start(client, manager):
    client.force_login(manager)
    page = client.get("/audit/").content.decode()
    assert "Review this work" in page and "No reviews in this period" in page


def test_a_new_review_is_shown_then_saved(client, manager, agent, record, six_steps):
    client.force_login(manager)
    page = client.get(f"/audit/reviews/new/?record={record.pk}")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Respected the customer" in html and "out of 30 points" in html
    items = list(six_steps.items.all())
    data = {"record": record.pk, "form": six_steps.pk, "comment": "Well done"}
    data |= {f"item_{i.pk}": 4 for i in items}
    done = client.post("/audit/reviews/new/", data)
    made = Review.objects.get()
    assert done.status_code == 302 and done["Location"] == f"/audit/reviews/{made.pk}/"
    assert made.points == 24 and made.agent == agent
    again = client.get(f"/audit/reviews/new/?record={record.pk}").content.decode()
    assert "already been reviewed" in again and f"/audit/reviews/{made.pk}/" in again


def test_a_review_with_bad_scores_is_reshown_with_its_errors(client, manager, record, six_steps):
    client.force_login(manager)
    items = list(six_steps.items.all())
    data = {"record": record.pk, "form": six_steps.pk, "comment": "<b>kept</b>"}
    data |= {f"item_{i.pk}": 3 for i in items}
    data[f"item_{items[0].pk}"] = 9
    data[f"item_{items[1].pk}"] = ""
    page = client.post("/audit/reviews/new/", data)
    html = page.content.decode()
    assert page.status_code == 400
    assert "Not saved yet" in html and "less than or equal to 5" in html
    assert "This field is required" in html
    assert "&lt;b&gt;kept&lt;/b&gt;" in html  # what was typed is kept, escaped
    assert not Review.objects.exists()


def test_an_unreviewable_record_says_why(client, manager, agent, department, six_steps):
    running = handled_record(department, agent, status="open")
    client.force_login(manager)
    page = client.get(f"/audit/reviews/new/?record={running.pk}").content.decode()
    assert "Only a resolved or closed record can be reviewed" in page
    assert "Save the review" not in page
    # Posting anyway is refused by the service, re-shown with the reason.
    items = {f"item_{i.pk}": 3 for i in six_steps.items.all()}
    refused = client.post(
        "/audit/reviews/new/", {"record": running.pk, "form": six_steps.pk, **items}
    )
    assert refused.status_code == 400
    assert "Only a resolved or closed record" in refused.content.decode()


def test_a_hidden_or_unknown_subject_is_a_404_and_agents_may_not_review(
    client, manager, agent, finance, other_agent, record, six_steps
):
    hidden = handled_record(finance, other_agent)
    client.force_login(manager)
    assert client.get(f"/audit/reviews/new/?record={hidden.pk}").status_code == 404
    assert client.get("/audit/reviews/new/?record=abc").status_code == 404
    assert client.get("/audit/reviews/new/").status_code == 404
    assert client.get(f"/audit/reviews/new/?record={record.pk}&form=999999").status_code == 404
    client.force_login(agent)
    assert client.get(f"/audit/reviews/new/?record={record.pk}").status_code == 403


def test_a_complaint_review_form(client, manager, agent, department, six_steps):
    complaint = ComplaintFactory(record=handled_record(department, agent, status="open"))
    client.force_login(manager)
    page = client.get(f"/audit/reviews/new/?complaint={complaint.pk}").content.decode()
    assert "Save the review" in page and complaint.record.reference in page


def test_the_agent_acknowledges_on_the_review_page(
    client, manager, agent, record, six_steps, django_assert_max_num_queries
):
    made = review(manager, six_steps, record=record, comment="<script>x</script>")
    client.force_login(agent)
    with django_assert_max_num_queries(8):
        page = client.get(f"/audit/reviews/{made.pk}/")
    html = page.content.decode()
    assert "Acknowledge this review" in html and "Respected the customer" in html
    assert "&lt;script&gt;x&lt;/script&gt;" in html and "<script>x" not in html
    long = client.post(f"/audit/reviews/{made.pk}/acknowledge/", {"reply": "x" * 2001})
    assert long.status_code == 400 and "Not saved yet" in long.content.decode()
    done = client.post(f"/audit/reviews/{made.pk}/acknowledge/", {"reply": "收到"})
    assert done.status_code == 302
    after = client.get(f"/audit/reviews/{made.pk}/").content.decode()
    assert "收到" in after and "Acknowledge this review" not in after
    twice = client.post(f"/audit/reviews/{made.pk}/acknowledge/", {"reply": "again"})
    assert twice.status_code == 400 and "already acknowledged" in twice.content.decode()


def test_the_manager_cannot_acknowledge_for_the_agent(client, manager, record, six_steps):
    made = review(manager, six_steps, record=record)
    client.force_login(manager)
    page = client.get(f"/audit/reviews/{made.pk}/").content.decode()
    assert "Acknowledge this review" not in page and "Not acknowledged yet" in page
    refused = client.post(f"/audit/reviews/{made.pk}/acknowledge/", {"reply": ""})
    assert refused.status_code == 400
    assert "Only the reviewed agent" in refused.content.decode()


def test_check_forms_list_and_detail(client, agent, administrator, six_steps):
    client.force_login(agent)
    listed = client.get("/audit/forms/").content.decode()
    assert "The six steps" in listed and "30" in listed
    detail = client.get(f"/audit/forms/{six_steps.pk}/").content.decode()
    assert "Re-checked with the customer" in detail and "Edit this form" not in detail
    assert client.get("/audit/forms/999999/").status_code == 404
    client.force_login(administrator)
    with translation.override("zh-hans"):
        detail = client.get(f"/audit/forms/{six_steps.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert (
        "回访确认" in detail.content.decode()
        and "Edit this form" in client.get(f"/audit/forms/{six_steps.pk}/").content.decode()
    )


def test_the_scorecard_page_refuses_a_scheme_and_saves_a_good_one(client, administrator):
    client.force_login(administrator)
    page = client.get("/audit/scorecard/").content.decode()
    assert "Weights in force" in page and "Save the weights" in page
    bad = {"version": 1, "satisfaction_weight": 20, "complaints_weight": 30,
           "callbacks_weight": 20, "reviews_weight": 20, "targets_weight": 10}  # fmt: skip
    refused = client.post("/audit/scorecard/", bad)
    html = refused.content.decode()
    assert refused.status_code == 400
    assert "Customer satisfaction must carry the largest weight" in html
    assert 'value="30"' in html  # the form is re-shown with what was typed
    assert not Scorecard.objects.exists()
    good = {**bad, "satisfaction_weight": 40, "complaints_weight": 10}
    assert client.post("/audit/scorecard/", good).status_code == 302
    assert Scorecard.current().satisfaction_weight == 40
    stale = client.post("/audit/scorecard/", {**good, "version": 1})
    assert stale.status_code == 400 and "changed by someone else" in stale.content.decode()
    history = client.get("/audit/scorecard/").content.decode()
    assert "No changes yet" not in history


def test_managers_read_the_scorecard_and_agents_do_not(client, manager, agent):
    client.force_login(manager)
    page = client.get("/audit/scorecard/").content.decode()
    assert "Weights in force" in page and "Save the weights" not in page
    assert client.post("/audit/scorecard/", {}).status_code == 403
    client.force_login(agent)
    assert client.get("/audit/scorecard/").status_code == 403


def test_the_averages_include_renders_alone(manager, agent, record, six_steps):
    review(manager, six_steps, record=record, points=4)
    today = timezone.localdate()
    html = render_to_string(
        "audit/_agent_averages.html", {"averages": agent_averages(today, today)}
    )
    assert f"?agent={agent.pk}" in html and "80.0%" in html
    empty = render_to_string("audit/_agent_averages.html", {"averages": []})
    assert "No reviews in this period" in empty


def test_the_dashboards_show_the_reviews(client, manager, agent, many):
    """The agent's dashboard lists their latest reviews; the manager's, the averages per agent."""
    client.force_login(agent)
    html = client.get("/dashboard/me/").content.decode()
    assert "audit/mine/" in html
    assert html.count('href="/audit/reviews/') == 10  # the newest ten, then a link to all
    client.force_login(manager)
    html = client.get("/dashboard/").content.decode()
    assert html.count('href="/audit/?agent=') == 2
