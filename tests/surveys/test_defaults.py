"""The shipped templates (data migration 0002): present after migrate, short, bilingual, every
question aimed, one main rating, a commitment, no gifts."""

import pytest
from django.apps import apps as global_apps

from surveys.defaults import TEMPLATES, seed_defaults
from surveys.models import (
    EMOTIONAL_STANDARDS,
    TANGIBLE_STANDARDS,
    Aim,
    Kind,
    Purpose,
    Question,
    Standard,
    SurveyPolicy,
    SurveyTemplate,
)

KEYS = {"after-service", "after-callback", "complaint-recheck", "service-quality"}


def _shipped():
    return SurveyTemplate.objects.filter(key__in=KEYS).prefetch_related("questions")


@pytest.mark.django_db
def test_four_templates_exist_after_migrate_one_per_purpose():
    templates = {t.key: t for t in _shipped()}
    assert set(templates) == KEYS
    assert {t.purpose for t in templates.values()} == set(Purpose.values)
    assert not templates["service-quality"].is_active  # optional: an administrator turns it on
    assert all(t.is_active for k, t in templates.items() if k != "service-quality")
    assert SurveyPolicy.objects.count() == 1


@pytest.mark.django_db
def test_each_template_is_short_bilingual_aimed_with_one_main_rating():
    for template in _shipped():
        questions = list(template.questions.all())
        assert 4 <= len(questions) <= 7, template.key
        assert template.name_en and template.name_zh
        assert not template.offers_gift
        for q in questions:
            assert q.aim in Aim.values, (template.key, q.position)
            assert q.text_en.strip() and q.text_zh.strip(), (template.key, q.position)
            for choice in q.choices:
                assert choice["value"] and choice["en"] and choice["zh"]
            assert (q.kind == Kind.CHOICE) == bool(q.choices)
        ratings = [q for q in questions if q.kind == Kind.RATING]
        if ratings:
            assert sum(q.is_main for q in questions) == 1, template.key
            assert next(q for q in questions if q.is_main).kind == Kind.RATING


@pytest.mark.django_db
def test_every_template_states_what_will_be_done_with_the_answers():
    for template in _shipped():
        assert template.commitment_zh.startswith(
            "您提供的宝贵意见，如果能代表多数人意见的话，我们会"
        )
        assert "most of our customers" in template.commitment_en


@pytest.mark.django_db
def test_after_service_covers_the_restaurant_card_and_the_expectation():
    template = SurveyTemplate.objects.get(key="after-service")
    questions = list(template.questions.all())
    values = {c["value"] for q in questions for c in q.choices}
    assert {"product", "environment", "staff", "price", "content", "process"} <= values
    assert {"better", "as_expected", "worse"} <= values
    assert {q.kind for q in questions} >= {Kind.RATING, Kind.NPS, Kind.TEXT}
    assert sum(q.kind == Kind.NPS for q in questions) == 1
    assert any(q.aim == Aim.SUGGESTIONS for q in questions)
    assert {q.aim for q in questions} == set(Aim.values)  # all five of the seeds' aims


@pytest.mark.django_db
def test_service_quality_rates_each_of_the_six_standards_once():
    questions = Question.objects.filter(template__key="service-quality")
    standards = sorted(q.standard for q in questions if q.standard)
    assert standards == list(Standard.values)
    assert set(standards) == TANGIBLE_STANDARDS | EMOTIONAL_STANDARDS
    assert all(q.kind == Kind.RATING for q in questions)


@pytest.mark.django_db
def test_seeding_again_adds_nothing_and_keeps_an_administrators_edit():
    template = SurveyTemplate.objects.get(key="after-service")
    template.name_zh = "服务评价"
    template.save()
    models = [global_apps.get_model("surveys", n) for n in ("SurveyTemplate", "Question")]
    assert seed_defaults(*models, SurveyPolicy) == 0
    assert SurveyTemplate.objects.filter(key__in=KEYS).count() == len(TEMPLATES)
    assert SurveyTemplate.objects.get(key="after-service").name_zh == "服务评价"
    assert SurveyPolicy.objects.count() == 1


@pytest.mark.django_db
def test_a_deleted_default_comes_back_on_the_next_seed():
    SurveyTemplate.objects.filter(key="service-quality").delete()
    assert seed_defaults(SurveyTemplate, Question, SurveyPolicy) == 1
    assert Question.objects.filter(template__key="service-quality").count() == 7
