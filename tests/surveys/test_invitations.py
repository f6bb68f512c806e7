"""Tokens, both frequency limits and the e-mail delivery."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from servicedesk.core.models import hash_token
from surveys import delivery, services
from surveys.models import Channel, InvitationStatus, SurveyInvitation
from tests.factories import CustomerFactory
from tests.surveys.factories import set_policy
from tests.tickets.factories import RecordFactory


@pytest.mark.django_db
def test_token_is_256_bits_stored_only_as_its_hash(template, customer):
    invitation = services.survey_invite(template=template, customer_id=customer.pk)
    token = services.token_for(invitation)
    assert len(token) >= 43  # 32 bytes, base64url without padding: 256 bits
    assert invitation.token_hash == hash_token(token)
    stored = SurveyInvitation.objects.filter(pk=invitation.pk).values().get()
    assert token not in {str(v) for v in stored.values()}
    assert services.invitation_for_token(token).pk == invitation.pk
    assert services.invitation_for_token(token[:-1] + ("A" if token[-1] != "A" else "B")) is None


@pytest.mark.django_db
def test_tokens_differ_between_invitations(template):
    tokens = set()
    for _ in range(5):
        customer = CustomerFactory()
        invitation = services.survey_invite(
            template=template, customer_id=customer.pk, channel=Channel.LINK
        )
        tokens.add(services.token_for(invitation))
    assert len(tokens) == 5


@pytest.mark.django_db
def test_one_open_invitation_per_customer_and_subject(template, customer):
    record = RecordFactory(customer=customer)
    set_policy(min_days_between=0)
    services.survey_invite(template=template, customer_id=customer.pk, record=record)
    with pytest.raises(services.NotInvited, match="already has an open survey"):
        services.survey_invite(template=template, customer_id=customer.pk, record=record)
    # Another subject is another question (the day limit is 0 here).
    other = RecordFactory(customer=customer)
    services.survey_invite(template=template, customer_id=customer.pk, record=other)
    assert SurveyInvitation.objects.filter(customer=customer).count() == 2


@pytest.mark.django_db
def test_at_most_one_invitation_every_n_days(template, customer):
    set_policy(min_days_between=30)
    now = timezone.now()
    first = RecordFactory(customer=customer)
    services.survey_invite(template=template, customer_id=customer.pk, record=first, now=now)
    later = RecordFactory(customer=customer)
    with pytest.raises(services.NotInvited, match="last 30 days"):
        services.survey_invite(
            template=template, customer_id=customer.pk, record=later, now=now + timedelta(days=29)
        )
    services.survey_invite(
        template=template, customer_id=customer.pk, record=later, now=now + timedelta(days=31)
    )


@pytest.mark.django_db
def test_no_email_address_means_no_emailed_invitation(template):
    customer = CustomerFactory()
    with pytest.raises(services.NotInvited, match="no e-mail"):
        services.survey_invite(template=template, customer_id=customer.pk)
    assert not SurveyInvitation.objects.exists()


@pytest.mark.django_db
def test_email_carries_the_link_and_is_sent_once(template, customer):
    invitation = services.survey_invite(template=template, customer_id=customer.pk)
    mail.outbox.clear()
    assert delivery.send_invitation(invitation_id=invitation.pk) is True
    assert delivery.send_invitation(invitation_id=invitation.pk) is False  # safe to run twice
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["li.wei@example.com"]
    assert f"/s/{services.token_for(invitation)}/" in message.body
    assert template.commitment_zh in message.body  # in the customer's language
    invitation.refresh_from_db()
    assert invitation.sent_at is not None


@pytest.mark.django_db
def test_sweep_sends_what_the_broker_lost(template, customer):
    invitation = services.survey_invite(template=template, customer_id=customer.pk)
    SurveyInvitation.objects.filter(pk=invitation.pk).update(
        created_at=timezone.now() - timedelta(minutes=5)
    )
    mail.outbox.clear()
    assert delivery.send_unsent() == 1
    assert delivery.send_unsent() == 0
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_expired_invitation_is_not_sent(template, customer):
    invitation = services.survey_invite(template=template, customer_id=customer.pk)
    SurveyInvitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now())
    mail.outbox.clear()
    assert delivery.send_invitation(invitation_id=invitation.pk) is False
    assert mail.outbox == []
    assert SurveyInvitation.objects.get(pk=invitation.pk).status == InvitationStatus.PENDING


@pytest.mark.django_db
def test_an_invitation_follows_only_the_customers_own_record(template, customer):
    other = RecordFactory()
    with pytest.raises(services.NotInvited, match="another customer") as refused:
        services.survey_invite(template=template, customer_id=customer.pk, record=other)
    assert refused.value.field == "record"
    assert not SurveyInvitation.objects.exists()
