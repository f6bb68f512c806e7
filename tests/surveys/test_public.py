"""The public answer page: token rules, bad input, double submit, the opt-ins."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone, translation

from surveys import services
from surveys.models import Answer, Channel, InvitationStatus, SurveyInvitation, SurveyResponse
from tests.surveys.factories import answers_for


@pytest.fixture
def invited(template, customer):
    invitation = services.survey_invite(template=template, customer_id=customer.pk)
    return invitation, f"/s/{services.token_for(invitation)}/"


def _post(client, url, data):
    # A fresh address per test: the per-address limit is shared by the whole run.
    return client.post(
        url, data, REMOTE_ADDR=f"10.{uuid.uuid4().int % 250}.0.{uuid.uuid4().int % 250}"
    )


@pytest.mark.django_db
def test_page_in_the_customers_language_with_the_commitment(client, invited, template):
    invitation, url = invited
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert template.commitment_zh in html
    assert "您对服务满意吗" in html
    assert page["Content-Language"] == "zh-hans"
    assert 'name="referrer" content="same-origin"' in html
    assert "no-cache" in page["Cache-Control"] or "max-age=0" in page["Cache-Control"]
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.OPENED


@pytest.mark.django_db
def test_unknown_token_is_404_and_names_nothing(client, invited):
    page = client.get("/s/" + "x" * 43 + "/")
    assert page.status_code == 404
    assert "li.wei" not in page.content.decode()


@pytest.mark.django_db
def test_submit_stores_one_response_then_the_link_is_used(client, invited, template):
    invitation, url = invited
    answer = _post(client, url, answers_for(template, rating=4, nps=9, text="快一点"))
    assert answer.status_code == 302
    assert answer["Location"].endswith("/thanks/")
    response = SurveyResponse.objects.get()
    assert (response.rating, response.nps, response.is_low) == (4, 9, False)
    assert Answer.objects.filter(response=response).count() == 4
    again = client.get(url)
    assert again.status_code == 410
    with translation.override("zh-hans"):
        assert translation.gettext("This survey was already answered") in again.content.decode()
    assert _post(client, url, answers_for(template)).status_code == 410
    assert SurveyResponse.objects.count() == 1


@pytest.mark.django_db
def test_expired_link_is_410(client, invited, template):
    invitation, url = invited
    SurveyInvitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert client.get(url).status_code == 410
    assert _post(client, url, answers_for(template)).status_code == 410
    assert not SurveyResponse.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "field_kind", "message"),
    [
        ({"rating": ""}, "rating", "Please answer this question"),
        ({"rating": 6}, "rating", "from 1 to 5"),
        ({"nps": 11}, "nps", "from 0 to 10"),
        ({"choice": "maybe"}, "choice", "one of the options"),
        ({"text": "x" * 1_000_000}, "text", "under 4000 characters"),
        ({"text": "a\x00b"}, "text", "cannot be stored"),
    ],
)
def test_bad_answers_are_shown_again_with_a_message_and_nothing_stored(
    client, invited, template, change, field_kind, message
):
    invitation, url = invited
    SurveyInvitation.objects.filter(pk=invitation.pk).update(language="en")
    data = answers_for(template, **{"rating": 3, "nps": 7, "choice": "worse", "text": ""} | change)
    page = _post(client, url, data)
    assert page.status_code == 400
    html = page.content.decode()
    question = template.questions.get(kind=field_kind)
    assert f'<fieldset class="question has-error" id="field-q{question.pk}">' in html
    assert message in html
    assert not SurveyResponse.objects.exists()
    assert SurveyInvitation.objects.get(pk=invitation.pk).status != InvitationStatus.ANSWERED


@pytest.mark.django_db
def test_double_submit_from_two_tabs_stores_one(client, invited, template):
    invitation, url = invited
    first = _post(client, url, answers_for(template, rating=5))
    second = _post(client, url, answers_for(template, rating=1))
    assert (first.status_code, second.status_code) == (302, 410)
    assert list(SurveyResponse.objects.values_list("rating", flat=True)) == [5]


@pytest.mark.django_db
def test_opt_ins_on_the_thank_you_page(client, invited, template):
    invitation, url = invited
    _post(client, url, answers_for(template))
    thanks = client.get(url + "thanks/")
    assert thanks.status_code == 200
    assert "客户监督员" in thanks.content.decode()
    saved = _post(client, url + "thanks/", {"supervisor": "1", "meeting": "1"})
    assert saved.status_code == 302
    response = SurveyResponse.objects.get()
    assert (response.wants_supervisor, response.wants_meeting, response.wants_contact) == (
        True,
        True,
        False,
    )
    response.customer.refresh_from_db()
    assert response.customer.supervisor_since is not None


@pytest.mark.django_db
def test_thank_you_page_needs_an_answered_link(client, invited):
    invitation, url = invited
    assert client.get(url + "thanks/").status_code == 404


@pytest.mark.django_db
def test_submits_are_limited_per_link(client, template, customer):
    invitation = services.survey_invite(
        template=template, customer_id=customer.pk, channel=Channel.LINK
    )
    url = f"/s/{services.token_for(invitation)}/"
    codes = [_post(client, url, {}).status_code for _ in range(11)]
    assert codes[:10] == [400] * 10
    assert codes[10] == 429


@pytest.mark.django_db
def test_the_limits_are_settings_read_per_request(client, template, customer, settings):
    """SURVEY_SUBMITS_PER_LINK and SURVEY_SUBMITS_PER_ADDRESS (from the environment) apply from
    the next request on, without a restart."""
    settings.SURVEY_SUBMITS_PER_LINK = 2
    invitation = services.survey_invite(
        template=template, customer_id=customer.pk, channel=Channel.LINK
    )
    url = f"/s/{services.token_for(invitation)}/"
    assert [_post(client, url, {}).status_code for _ in range(3)] == [400, 400, 429]
    settings.SURVEY_SUBMITS_PER_LINK = 10
    settings.SURVEY_SUBMITS_PER_ADDRESS = 1
    address = f"10.251.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
    codes = [client.post(url, {}, REMOTE_ADDR=address).status_code for _ in range(2)]
    assert codes == [400, 429]
    assert not SurveyResponse.objects.filter(invitation=invitation).exists()
