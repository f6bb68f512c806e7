import secrets
from datetime import date, datetime, time, timedelta

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from surveys.models import (
    Aim,
    Answer,
    Channel,
    InvitationStatus,
    Kind,
    Purpose,
    Question,
    SurveyInvitation,
    SurveyResponse,
    SurveyTemplate,
)


class TemplateFactory(DjangoModelFactory):
    class Meta:
        model = SurveyTemplate

    key = factory.Sequence(lambda n: f"template-{n}")
    name_en = "After a service"
    name_zh = "服务后调查"
    purpose = Purpose.AFTER_SERVICE
    commitment_en = "If your view is shared by many, we will change how we work."
    commitment_zh = "您提供的宝贵意见,如果能代表多数人意见的话,我们会改进。"


class QuestionFactory(DjangoModelFactory):
    class Meta:
        model = Question

    template = factory.SubFactory(TemplateFactory)
    position = factory.Sequence(lambda n: n + 1)
    kind = Kind.RATING
    aim = Aim.SATISFACTION
    text_en = "How satisfied are you with the service?"
    text_zh = "您对服务满意吗?"


def rating_template(**fields):
    """A main 1-5 rating, a 0-10 likelihood, a single choice and an optional comment."""
    template = TemplateFactory(**fields)
    QuestionFactory(template=template, position=1, is_main=True)
    QuestionFactory(
        template=template,
        position=2,
        kind=Kind.NPS,
        text_en="How likely are you to recommend us?",
        text_zh="您向朋友推荐我们的可能性有多大?",
    )
    QuestionFactory(
        template=template,
        position=3,
        kind=Kind.CHOICE,
        aim=Aim.SATISFACTION,
        text_en="Compared with what you expected?",
        text_zh="与您的期望相比?",
        choices=[
            {"value": "better", "en": "Better", "zh": "更好"},
            {"value": "as_expected", "en": "As expected", "zh": "符合期望"},
            {"value": "worse", "en": "Worse", "zh": "更差"},
        ],
    )
    QuestionFactory(
        template=template,
        position=4,
        kind=Kind.TEXT,
        aim=Aim.SUGGESTIONS,
        required=False,
        text_en="What should we improve?",
        text_zh="改进服务有什么建议?",
    )
    return template


def answers_for(template, *, rating=5, nps=9, choice="as_expected", text=""):
    q = {question.kind: question for question in template.questions.all()}
    data = {f"q{q[Kind.RATING].pk}": rating, f"q{q[Kind.NPS].pk}": nps}
    data[f"q{q[Kind.CHOICE].pk}"] = choice
    data[f"q{q[Kind.TEXT].pk}"] = text
    return data


def set_policy(**fields):
    """Change the desk's one SurveyPolicy row (the default templates' migration makes it)."""
    from surveys.models import SurveyPolicy

    policy = SurveyPolicy.current()
    for name, value in fields.items():
        setattr(policy, name, value)
    policy.save()
    return policy


# --- answers written directly, on any date (the results and rollup tests) ---

CHOICES = ("better", "as_expected", "worse")


def at(day: date, hour: int = 12) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)), timezone.get_current_timezone())


def invite(template, customer, *, at, status=InvitationStatus.PENDING, channel=Channel.EMAIL,
            sent=True, stage="", department=None):  # fmt: skip
    return SurveyInvitation.objects.create(
        template=template,
        customer=customer,
        subject=f"record:{secrets.token_hex(6)}",
        stage=stage,
        department=department,
        channel=channel,
        token_salt=secrets.token_hex(16),
        token_hash=secrets.token_hex(32),
        status=status,
        created_at=at,
        sent_at=at if sent else None,
        expires_at=at + timedelta(days=14),
    )


def answer(template, customer, *, at, values: dict, staff=None, stage="", department=None,
           agent=None):  # fmt: skip
    """An answered invitation and its response, written directly (any date, no limits)."""
    invitation = invite(
        template, customer, at=at, status=InvitationStatus.ANSWERED, stage=stage,
        department=department, channel=Channel.PHONE if staff else Channel.EMAIL,
    )  # fmt: skip
    questions = {q.pk: q for q in template.questions.all()}
    main = next((q for q in questions.values() if q.is_main), None)
    nps_q = next((q for q in questions.values() if q.kind == Kind.NPS), None)
    rating = values.get(main.pk) if main else None
    nps = values.get(nps_q.pk) if nps_q else None
    response = SurveyResponse.objects.create(
        invitation=invitation,
        template=template,
        customer=customer,
        submitted_at=at,
        entered_by=staff,
        rating=rating,
        nps=nps,
        stage=stage,
        department=department,
        agent=agent,
        is_low=(rating is not None and rating <= 2) or (nps is not None and nps <= 6),
    )
    Answer.objects.bulk_create(
        Answer(
            response=response,
            question_id=pk,
            number=v if isinstance(v, int) else None,
            choice=v if questions[pk].kind == Kind.CHOICE else "",
            text=v if questions[pk].kind == Kind.TEXT else "",
        )
        for pk, v in values.items()
        if v is not None
    )
    return response


def random_values(template, rng):
    values = {}
    for q in template.questions.all():
        if q.kind == Kind.RATING:
            values[q.pk] = rng.choice([None, 1, 2, 3, 4, 5, 5, 4])
        elif q.kind == Kind.NPS:
            values[q.pk] = rng.choice([None, *range(11)])
        elif q.kind == Kind.CHOICE:
            values[q.pk] = rng.choice([None, *CHOICES])
        else:
            values[q.pk] = rng.choice(["", "", f"comment {rng.randrange(10**6)}"]) or None
    return values
