import factory
from factory.django import DjangoModelFactory

from surveys.models import Aim, Kind, Purpose, Question, SurveyTemplate


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
