"""Each score against figures worked out by hand."""

import math

import pytest

from surveys import selectors
from surveys.models import SurveyInvitation, SurveyResponse
from surveys.services import survey_invite, survey_submit
from tests.factories import ContactFactory, CustomerFactory, DepartmentFactory, EmailFactory
from tests.surveys.factories import answers_for


def _answered(template, *, rating, nps, stage="", department=None):
    customer = CustomerFactory()
    EmailFactory(contact=ContactFactory(customer=customer))
    invitation = survey_invite(template=template, customer_id=customer.pk)
    SurveyInvitation.objects.filter(pk=invitation.pk).update(stage=stage, department=department)
    return survey_submit(
        invitation_id=invitation.pk, data=answers_for(template, rating=rating, nps=nps)
    )


@pytest.mark.django_db
def test_csat_and_nps_by_hand(template):
    # Ratings 5, 4, 3, 2, 1 -> 2 of 5 satisfied = 40%.
    # NPS answers 10, 9, 8, 6, 0 -> promoters 2, detractors 2 -> 100 x 0 / 5 = 0.
    for rating, nps in ((5, 10), (4, 9), (3, 8), (2, 6), (1, 0)):
        _answered(template, rating=rating, nps=nps)
    scores = selectors.scores(SurveyResponse.objects.all())
    assert scores.answers == 5
    assert scores.csat == pytest.approx(0.4)
    assert scores.csat_percent == 40.0
    assert scores.nps == 0.0
    assert scores.low == 2  # rating 2 (<= 2) and rating 1; the 6 is on the rating-2 response


@pytest.mark.django_db
def test_nps_promoters_only_and_detractors_only(template):
    for nps in (9, 10, 10, 7):
        _answered(template, rating=5, nps=nps)
    # 3 promoters, 0 detractors, 1 passive: 100 x 3 / 4 = 75.
    assert selectors.scores(SurveyResponse.objects.all()).nps == 75.0
    SurveyResponse.objects.all().delete()
    for nps in (0, 3):
        _answered(template, rating=5, nps=nps)
    assert selectors.scores(SurveyResponse.objects.all()).nps == -100.0


@pytest.mark.django_db
def test_empty_set_gives_no_figure_not_zero():
    scores = selectors.scores(SurveyResponse.objects.none())
    assert (scores.csat, scores.nps, scores.answers) == (None, None, 0)
    assert selectors.response_rate(SurveyInvitation.objects.none()) is None
    assert selectors.chained({}).total is None


@pytest.mark.django_db
def test_response_rate_counts_delivered_only(template, customer):
    others = [CustomerFactory() for _ in range(3)]
    for other in others:
        EmailFactory(contact=ContactFactory(customer=other))
    invitations = [survey_invite(template=template, customer_id=c.pk) for c in [customer, *others]]
    # Sent: three of four; answered: one of those.
    SurveyInvitation.objects.filter(pk__in=[i.pk for i in invitations[:3]]).update(
        sent_at=invitations[0].created_at
    )
    survey_submit(invitation_id=invitations[0].pk, data=answers_for(template))
    assert selectors.response_rate(SurveyInvitation.objects.all()) == pytest.approx(1 / 3)


def test_chain_of_ten_links_at_95_percent_keeps_60_percent():
    chain = selectors.chained({f"link{i}": 0.95 for i in range(10)})
    assert round(chain.total, 3) == 0.599
    assert math.isclose(chain.total, 0.95**10)


def test_chain_names_its_weakest_link():
    chain = selectors.chained({"pre_sale": 0.9, "in_sale": 0.8, "after_sale": 0.95, "x": None})
    assert chain.weakest == "in_sale"
    assert chain.total == pytest.approx(0.9 * 0.8 * 0.95)


@pytest.mark.django_db
def test_satisfaction_by_stage_and_department_and_their_chain(template):
    sales, service = DepartmentFactory(), DepartmentFactory()
    # pre-sale: 2 of 2 satisfied; after-sale: 1 of 4 -> 25%.
    for rating in (5, 4):
        _answered(template, rating=rating, nps=9, stage="pre_sale", department=sales)
    for rating in (5, 3, 2, 1):
        _answered(template, rating=rating, nps=9, stage="after_sale", department=service)
    responses = SurveyResponse.objects.all()
    assert selectors.satisfaction_by(responses, "stage") == {"after_sale": 0.25, "pre_sale": 1.0}
    assert selectors.satisfaction_by(responses, "department") == {sales.pk: 1.0, service.pk: 0.25}
    chain = selectors.satisfaction_chain(responses)
    assert chain.total == pytest.approx(1.0 * 0.25 * 1.0 * 0.25)
    assert chain.weakest == ("department", service.pk)
