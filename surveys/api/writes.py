"""Survey template writes for administrators: a template with its questions, made or changed in
one transaction, a change checked against the version the caller read.

Written for the API; they are services in shape (keyword-only, atomic, domain errors) and belong
in surveys.services once the template editor page needs them too."""

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from servicedesk.core.concurrency import versioned_update
from servicedesk.core.exceptions import DomainError
from servicedesk.core.roles import Role, has_role

from ..models import Answer, Question, SurveyTemplate

QUESTION_FIELDS = (
    "kind",
    "aim",
    "text_en",
    "text_zh",
    "required",
    "is_main",
    "choices",
    "standard",
)


def _may_edit_templates(by) -> None:
    if not has_role(by, Role.ADMINISTRATOR):
        raise DomainError(_("Only administrators change survey templates."), code="forbidden")


def _question_fields(item: dict) -> dict:
    fields = {name: item[name] for name in QUESTION_FIELDS if name in item}
    fields["choices"] = [dict(c) for c in fields.get("choices") or ()]
    return fields


@transaction.atomic
def template_create(*, by, fields: dict, questions: list[dict]) -> SurveyTemplate:
    """A new template and its questions, asked in the given order."""
    _may_edit_templates(by)
    if SurveyTemplate.objects.filter(key=fields["key"]).exists():
        raise DomainError(_("A template with this key already exists."), field="key")
    try:
        with transaction.atomic():
            template = SurveyTemplate.objects.create(**fields)
    except IntegrityError as exc:  # the same key, made at the same moment
        raise DomainError(_("A template with this key already exists."), field="key") from exc
    Question.objects.bulk_create(
        Question(template=template, position=n, **_question_fields(item))
        for n, item in enumerate(questions, start=1)
    )
    return template


@transaction.atomic
def template_update(
    *, by, template_id: int, version: int | None, fields: dict, questions: list[dict] | None = None
) -> SurveyTemplate:
    """Lock, re-check the version (a stale one is a ConflictError), then write. `questions`, when
    given, is the whole list in order: named ones are kept and changed, the rest added, the ones
    left out removed. A question with answers keeps its kind and cannot be removed, so the
    answers already given keep their meaning; the version moves with any change."""
    _may_edit_templates(by)
    template = versioned_update(
        SurveyTemplate.objects.all(), pk=template_id, version=version, changes=fields
    )
    if questions is not None:
        _replace_questions(template, questions)
    return template


def _replace_questions(template: SurveyTemplate, items: list[dict]) -> None:
    existing = {q.pk: q for q in template.questions.all()}
    answered = set(
        Answer.objects.filter(question__template=template)
        .values_list("question_id", flat=True)
        .distinct()
    )
    kept_ids = set()
    for n, item in enumerate(items, start=1):
        pk = item.get("id")
        if pk is None:
            continue
        question = existing.get(pk)
        if question is None:
            raise DomainError(
                _("Question %(n)d: %(id)d is not a question of this template.")
                % {"n": n, "id": pk},
                field="questions",
            )
        if pk in answered and item["kind"] != question.kind:
            raise DomainError(
                _("Question %(n)d has answers: its kind cannot change; add a new question.")
                % {"n": n},
                field="questions",
            )
        kept_ids.add(pk)
    dropped = set(existing) - kept_ids
    if dropped & answered:
        raise DomainError(
            _(
                "A question with answers cannot be removed: keep it, or make a new template and "
                "deactivate this one."
            ),
            field="questions",
        )
    Question.objects.filter(pk__in=dropped).delete()
    kept = [existing[pk] for pk in existing if pk in kept_ids]
    # Positions and the main rating are unique per template and checked row by row, so the kept
    # questions first step out of the way (past every position in use or to be, none the main),
    # then take
    # their places.
    top = max([len(items), *(q.position for q in kept)])
    for offset, question in enumerate(kept, start=1):
        question.position = top + offset
        question.is_main = False
    Question.objects.bulk_update(kept, ["position", "is_main"])
    new = []
    for n, item in enumerate(items, start=1):
        pk = item.get("id")
        if pk is None:
            new.append(Question(template=template, position=n, **_question_fields(item)))
            continue
        question = existing[pk]
        question.position = n
        for name, value in _question_fields(item).items():
            setattr(question, name, value)
    Question.objects.bulk_update(kept, ["position", *QUESTION_FIELDS])
    Question.objects.bulk_create(new)
