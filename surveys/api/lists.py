"""The survey responses' API list read as values (servicedesk.core.api.lean): the same items as
ResponseOutputSerializer gives for those rows, held equal by tests/surveys/test_api_fast.py."""

from collections import defaultdict

from servicedesk.core.api.lean import (
    Shape,
    department_columns,
    department_of,
    user_columns,
    user_of,
)

from ..models import Answer
from .serializers import ResponseOutputSerializer, answer_item, template_ref

RESPONSE_SHAPE = Shape(
    ResponseOutputSerializer,
    columns={"invitation": "invitation_id", "complaint": "complaint_id"},
    computed=("template", "customer", "department", "staff_entered", "entered_by", "answers"),
)
RESPONSE_COLUMNS = (
    "id",
    "invitation_id",
    "submitted_at",
    "rating",
    "nps",
    "is_low",
    "stage",
    "complaint_id",
    "wants_meeting",
    "wants_supervisor",
    "wants_contact",
    "template__id",
    "template__key",
    "template__name_en",
    "template__name_zh",
    "customer__id",
    "customer__name",
    *department_columns("department"),
    *user_columns("entered_by"),
)
ANSWER_COLUMNS = (
    "question_id",
    "question__position",
    "question__kind",
    "question__aim",
    "question__text_en",
    "question__text_zh",
    "number",
    "choice",
    "text",
)


def answers_of(response_ids) -> dict[int, list[dict]]:
    """Each response's answers in question order, as AnswerOutputSerializer's items: one query
    for the page."""
    rows = (
        Answer.objects.filter(response_id__in=response_ids)
        .order_by("response_id", "question__position", "pk")
        .values_list("response_id", *ANSWER_COLUMNS)
    )
    found = defaultdict(list)
    for response_id, *columns in rows:
        found[response_id].append(answer_item(*columns))
    return found


def response_items(rows: list[dict]) -> list[dict]:
    answers = answers_of([r["id"] for r in rows]) if rows else {}
    for row in rows:
        row["template"] = template_ref(
            row["template__id"],
            row["template__key"],
            row["template__name_en"],
            row["template__name_zh"],
        )
        row["customer"] = {"id": row["customer__id"], "name": row["customer__name"]}
        row["department"] = department_of(row, "department")
        row["entered_by"] = user_of(row, "entered_by")
        row["staff_entered"] = row["entered_by__id"] is not None
        row["answers"] = answers.get(row["id"], [])
    return RESPONSE_SHAPE.items(rows)
