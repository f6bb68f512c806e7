"""The surveys' part of a customer's export and erasure (customers.privacy, registered from
SurveysConfig.ready()).

Erasure keeps invitations, responses and answers with their scores and choices (the survey
figures and day sums do not move); the typed answers and the address an invitation was sent to
are emptied. The address is handed to the erasure, which scrubs the e-mails sent to it.
"""

from django.db.models import Prefetch

from customers.privacy import ErasureContext, Part, register

from .models import Answer, SurveyInvitation, SurveyResponse


def export(customer) -> dict[str, list]:
    """Three queries: invitations, responses, their answers."""
    invitations = (
        SurveyInvitation.objects.filter(customer=customer)
        .select_related("template")
        .order_by("created_at", "pk")
    )
    responses = (
        SurveyResponse.objects.filter(customer=customer)
        .prefetch_related(
            Prefetch(
                "answers",
                queryset=Answer.objects.select_related("question").order_by("question__position"),
            )
        )
        .order_by("submitted_at", "pk")
    )
    return {
        "survey_invitations": [
            {
                "id": i.pk,
                "survey": i.template.name_en,
                "subject": i.subject,
                "channel": i.channel,
                "language": i.language,
                "email": i.email,
                "status": i.status,
                "created_at": i.created_at,
                "sent_at": i.sent_at,
                "answered_at": i.answered_at,
                "expires_at": i.expires_at,
            }
            for i in invitations
        ],
        "survey_responses": [
            {
                "id": r.pk,
                "invitation_id": r.invitation_id,
                "submitted_at": r.submitted_at,
                "rating": r.rating,
                "nps": r.nps,
                "wants_meeting": r.wants_meeting,
                "wants_supervisor": r.wants_supervisor,
                "wants_contact": r.wants_contact,
                "answers": [
                    {
                        "question": a.question.text_en,
                        "number": a.number,
                        "choice": a.choice,
                        "text": a.text,
                    }
                    for a in r.answers.all()
                ],
            }
            for r in responses
        ],
    }


def erase(ctx: ErasureContext) -> None:
    invitations = SurveyInvitation.objects.filter(customer=ctx.customer)
    ctx.emails.update(e for e in invitations.values_list("email", flat=True) if e)
    invitations.exclude(email="").update(email="")
    ctx.counts["survey_answers"] = (
        Answer.objects.filter(response__customer=ctx.customer).exclude(text="").update(text="")
    )


def register_part() -> None:
    register(Part("surveys", export, erase, order=40))
