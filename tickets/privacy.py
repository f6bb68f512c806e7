"""The service records' and complaints' part of a customer's export and erasure
(customers.privacy, registered from TicketsConfig.ready()).

Erasure keeps every record and complaint, with its category, stage, status, times, priority,
department and assignee, so the figures do not change. What the customer said or wrote is
personal data, and staff quote it in the record's subject and description, in messages and in
the complaint's steps, so all of that free text is emptied (subject: "[erased]"). Attachments are
deleted, files and rows: a photo of a receipt or an ID card cannot be anonymised.
"""

from django.db.models import Prefetch

from customers.privacy import ERASED, ErasureContext, Part, register, scrub_history

from .complaints.models import Complaint, ComplaintAction, ComplaintStepEntry
from .models import RecordAttachment, RecordMessage, ServiceRecord

# Keys of a complaint step's `data` that hold what someone typed (tickets.complaints.forms);
# the others are choices, dates, amounts and ids, kept for the figures.
FREE_TEXT_KEYS = frozenset(
    {"words", "feeling", "want", "thinking", "facts", "request", "alternative", "note",
     "description"}
)  # fmt: skip


def scrub_step_data(value):
    """`value` with every free-text entry emptied, at any depth (options and declined requests
    are lists of dicts)."""
    if isinstance(value, dict):
        return {
            k: ("" if k in FREE_TEXT_KEYS and isinstance(v, str) else scrub_step_data(v))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [scrub_step_data(v) for v in value]
    return value


def export(customer) -> dict[str, list]:
    """Three queries for the records (records, messages, attachments), three for complaints."""
    messages = Prefetch(
        "messages",
        queryset=RecordMessage.objects.select_related("author", "email").order_by(
            "created_at", "pk"
        ),
    )
    attachments = Prefetch("attachments", queryset=RecordAttachment.objects.order_by("pk"))
    records = (
        ServiceRecord.objects.filter(customer=customer)
        .select_related("category", "lead_department", "assignee")
        .prefetch_related(messages, attachments)
        .order_by("created_at", "pk")
    )
    out_records = [
        {
            "id": r.pk,
            "reference": r.reference,
            "created_at": r.created_at,
            "stage": r.stage,
            "category": r.category.name_en,
            "nature": r.nature,
            "place": r.place,
            "fee": r.fee,
            "fee_amount": r.fee_amount,
            "subject": r.subject,
            "description": r.description,
            "priority": r.priority,
            "status": r.status,
            "contact_id": r.contact_id,
            "lead_department": r.lead_department.name_en,
            "assignee": r.assignee.get_username() if r.assignee else None,
            "agreed_date": r.agreed_date,
            "resolved_at": r.resolved_at,
            "closed_at": r.closed_at,
            "messages": [
                {
                    "id": m.pk,
                    "kind": m.kind,
                    "created_at": m.created_at,
                    "author": m.author.get_username() if m.author else None,
                    "body": m.body,
                    "emailed_to": m.email.to if m.email else None,
                }
                for m in r.messages.all()
            ],
            # Metadata only: the files themselves are the attachments' downloads.
            "attachments": [
                {
                    "id": a.pk,
                    "file_name": a.original_name,
                    "content_type": a.content_type,
                    "size": a.size,
                    "uploaded_at": a.created_at,
                }
                for a in r.attachments.all()
            ],
        }
        for r in records
    ]
    complaints = (
        Complaint.objects.filter(record__customer=customer)
        .prefetch_related(
            Prefetch("entries", queryset=ComplaintStepEntry.objects.order_by("taken_at", "pk")),
            Prefetch("actions", queryset=ComplaintAction.objects.order_by("due_date", "pk")),
        )
        .order_by("pk")
    )
    out_complaints = [
        {
            "id": c.pk,
            "record_id": c.record_id,
            "about_record_id": c.about_record_id,
            "channel": c.channel,
            "severity": c.severity,
            "wants_manager": c.wants_manager,
            "step": c.step,
            "outcome": c.outcome,
            "close_reason": c.close_reason,
            "closed_at": c.closed_at,
            "created_at": c.created_at,
            "steps": [
                {"step": e.step, "round": e.round, "taken_at": e.taken_at, "data": e.data}
                for e in c.entries.all()
            ],
            "actions": [
                {
                    "description": a.description,
                    "due_date": a.due_date,
                    "done_at": a.done_at,
                    "told_at": a.told_at,
                }
                for a in c.actions.all()
            ],
        }
        for c in complaints
    ]
    return {"service_records": out_records, "complaints": out_complaints}


def erase(ctx: ErasureContext) -> None:
    records = ServiceRecord.objects.filter(customer=ctx.customer)
    record_ids = list(records.values_list("pk", flat=True))
    blank = {"subject": ERASED, "description": ""}
    ctx.counts["service_records"] = records.update(**blank)
    scrub_history(ServiceRecord, record_ids, **blank)
    ctx.counts["messages"] = RecordMessage.objects.filter(record_id__in=record_ids).update(
        body=ERASED
    )
    attachments = list(RecordAttachment.objects.filter(record_id__in=record_ids))
    for attachment in attachments:
        # The file first: if the transaction then rolls back, the row points at a missing file
        # (the download says so), never a personal file left behind without its row.
        attachment.file.delete(save=False)
    ctx.counts["attachments"] = RecordAttachment.objects.filter(
        pk__in=[a.pk for a in attachments]
    ).delete()[0]

    complaints = Complaint.objects.filter(record_id__in=record_ids)
    complaint_ids = list(complaints.values_list("pk", flat=True))
    ctx.counts["complaints"] = complaints.update(close_reason="")
    scrub_history(Complaint, complaint_ids, close_reason="")
    ComplaintAction.objects.filter(complaint_id__in=complaint_ids).update(description=ERASED)
    # Each entry's data differs: rewritten one by one, live rows and their history rows. A
    # customer has a few complaints of up to a dozen steps each.
    entries = ComplaintStepEntry.objects.filter(complaint_id__in=complaint_ids)
    for entry in entries.only("pk", "data"):
        ComplaintStepEntry.objects.filter(pk=entry.pk).update(data=scrub_step_data(entry.data))
    history = ComplaintStepEntry.history.model.objects.filter(complaint_id__in=complaint_ids)
    for row in history.only("history_id", "data"):
        history.filter(history_id=row.history_id).update(
            data=scrub_step_data(row.data), history_change_reason=None
        )


def register_part() -> None:
    register(Part("tickets", export, erase, order=20))
