"""Issue 13, item 7: retention settings purge old survey free text and attachments, as daily beat
tasks (surveys.retention, tickets.retention), in batches, only what is past the period, and
safely twice."""

from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from servicedesk.core import periodic
from surveys import retention as survey_retention
from surveys import tasks as survey_tasks
from surveys.models import Answer, Kind, SurveyResponse
from tests.factories import CustomerFactory
from tests.surveys.factories import answer, rating_template
from tests.tickets.factories import RecordFactory
from tickets import retention as ticket_retention
from tickets import tasks as ticket_tasks
from tickets.models import RecordAttachment

pytestmark = pytest.mark.django_db


@pytest.fixture
def disk(settings, tmp_path):
    """Attachments on a real disk (the suite's default storage is in memory)."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    return tmp_path


def _answers(ages_in_days):
    template = rating_template()
    text_q = template.questions.get(kind=Kind.TEXT)
    main_q = template.questions.get(is_main=True)
    customer = CustomerFactory()
    now = timezone.now()
    for age in ages_in_days:
        answer(
            template,
            customer,
            at=now - timedelta(days=age),
            values={main_q.pk: 4, text_q.pk: f"typed {age} days ago"},
        )
    return text_q


def _attachments(ages_in_days):
    record = RecordFactory()
    now = timezone.now()
    return [
        RecordAttachment.objects.create(
            record=record,
            file=ContentFile(b"%PDF-1.4 x", name="x.pdf"),
            original_name=f"{age}.pdf",
            content_type="application/pdf",
            size=10,
            created_at=now - timedelta(days=age),
        )
        for age in ages_in_days
    ]


def _files(path) -> int:
    return sum(1 for p in path.rglob("*") if p.is_file())


def test_retention_tasks_are_registered_daily():
    entries = {t.task: t.seconds for t in periodic.entries()}
    assert entries["surveys.purge_free_text"] == 86400.0
    assert entries["tickets.purge_attachments"] == 86400.0


def test_survey_free_text_is_kept_forever_by_default(settings):
    settings.SURVEY_FREE_TEXT_RETENTION_DAYS = 0
    _answers([400, 3])
    assert survey_tasks.purge_free_text.run() == 0
    assert Answer.objects.exclude(text="").count() == 2


def test_survey_free_text_past_the_period_is_emptied_in_batches_and_twice_is_harmless(settings):
    # given: five answers past 90 days, two inside
    settings.SURVEY_FREE_TEXT_RETENTION_DAYS = 90
    text_q = _answers([400, 200, 120, 95, 91, 89, 1])
    ratings = list(SurveyResponse.objects.order_by("pk").values_list("rating", flat=True))
    # when: batches of two, so three batches
    assert survey_retention.purge_free_text(batch=2) == 5
    # then: only the old text is gone; the scores stay
    kept = sorted(Answer.objects.filter(question=text_q).exclude(text="").values_list("text"))
    assert kept == [("typed 1 days ago",), ("typed 89 days ago",)]
    assert Answer.objects.filter(question=text_q).count() == 7
    assert ratings == list(SurveyResponse.objects.order_by("pk").values_list("rating", flat=True))
    # and a second run (or a second beat) finds nothing to do
    assert survey_tasks.purge_free_text.run() == 0


def test_attachments_are_kept_forever_by_default(settings, disk):
    settings.ATTACHMENT_RETENTION_DAYS = 0
    _attachments([1000, 1])
    assert ticket_tasks.purge_attachments.run() == 0
    assert RecordAttachment.objects.count() == 2 and _files(disk) == 2


def test_attachments_past_the_period_lose_file_and_row(settings, disk):
    # given
    settings.ATTACHMENT_RETENTION_DAYS = 365
    old = _attachments([800, 500, 366])
    new = _attachments([364, 10])
    assert _files(disk) == 5
    old_paths = [disk / a.file.name for a in old]
    # when
    assert ticket_retention.purge_attachments(batch=2) == 3
    # then
    assert set(RecordAttachment.objects.values_list("pk", flat=True)) == {a.pk for a in new}
    assert _files(disk) == 2 and not any(p.exists() for p in old_paths)
    assert ticket_tasks.purge_attachments.run() == 0


def test_a_purge_interrupted_after_deleting_a_file_finishes_on_the_next_run(settings, disk):
    # given: a crash left a row whose file is already gone
    settings.ATTACHMENT_RETENTION_DAYS = 30
    [orphan] = _attachments([40])
    orphan.file.storage.delete(orphan.file.name)
    # when / then: the next run deletes the row without error
    assert ticket_tasks.purge_attachments.run() == 1
    assert not RecordAttachment.objects.exists()
