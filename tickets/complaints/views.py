"""Staff pages for complaints: the list by step, and a complaint's page with its six steps as a
stepper (the current step's form, earlier steps read only with their revisions). The writes are in
step_views.py; both go through tickets.complaints.services."""

from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from servicedesk.core.jinja_env import id_url
from servicedesk.core.models import Department
from servicedesk.core.pagination import window_page
from servicedesk.core.roles import is_manager_or_admin
from servicedesk.core.users import display_name
from servicedesk.core.views import DeskView

from .. import sections as record_sections
from ..selectors import department_assignable_users, record_visible
from . import selectors
from .forms import ListNarrowForm, StepForms
from .guidance import GUIDANCE
from .models import STEP_TARGETS, STEPS, Complaint, ComplaintStepEntry, Remedy, Step
from .rootcause.models import CauseBone
from .rootcause.selectors import complaints_closed_in, complaints_on_bone
from .rootcause.views import cause_context, day_bounds
from .rows import ROW_FIELDS, complaint_row
from .services import REVISABLE

PAGE_SIZE = 25
LINKABLE_RECORDS = 50

# How a step's recorded fields are named on the page.
FIELD_LABELS = {
    "words": gettext_lazy("Words used"),
    "said_at": gettext_lazy("Said at"),
    "feeling": gettext_lazy("Feeling (感受)"),
    "want": gettext_lazy("Want (想要)"),
    "thinking": gettext_lazy("Thinking (想法)"),
    "facts": gettext_lazy("Facts gathered"),
    "request": gettext_lazy("The request, restated"),
    "confirmed": gettext_lazy("Confirmed by the customer"),
    "result": gettext_lazy("Result"),
    "note": gettext_lazy("Note"),
}


RESULT_LABELS = {
    "satisfied": gettext_lazy("Satisfied"),
    "not_satisfied": gettext_lazy("Not satisfied"),
    "unreachable": gettext_lazy("Could not be reached"),
}


def _text(key: str, value) -> str:
    if key == "result":
        return str(RESULT_LABELS.get(value, value))
    if key == "said_at" and value:
        moment = parse_datetime(value)
        return date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT") if moment else ""
    if value is True:
        return _("yes")
    if value is False:
        return _("no")
    return "" if value is None else str(value)


def entry_rows(step: str, data: dict) -> list[tuple[str, str]]:
    """(label, text) pairs of what a step recorded; options are numbered, the chosen one marked."""
    data = data or {}
    if step == Step.OPTIONS:
        rows = []
        remedies = dict(Remedy.choices)
        for i, option in enumerate(data.get("options", [])):
            text = f"{option.get('description', '')} · {remedies.get(option.get('remedy'), '')}"
            if option.get("cost") is not None:
                text += f" · {option['cost']}"
            if option.get("date"):
                text += f" · {option['date']}"
            if i == data.get("choice"):
                text += " · " + _("chosen by the customer")
            rows.append((_("Option %(n)d") % {"n": i + 1}, text))
        rows.extend(
            (_("Declined"), f"{item['request']} → {item['alternative']}")
            for item in data.get("declined", [])
        )
        return rows
    if step == Step.ACT:
        return [(_("Actions planned"), str(len(data.get("actions", []))))]
    # In the form's order: PostgreSQL's jsonb keeps keys in an order of its own.
    keys = [k for k in FIELD_LABELS if k in data] + [k for k in data if k not in FIELD_LABELS]
    return [(FIELD_LABELS.get(k, k), _text(k, data[k])) for k in keys if data[k] not in ("", None)]


class ComplaintListView(DeskView):
    section = "complaints"

    def get(self, request):
        chosen = [s for s in request.GET.getlist("step") if s in Step.values]
        narrow = {
            "overdue": request.GET.get("overdue") == "1",
            "recovered": request.GET.get("recovered") == "1",
        }
        complaints = selectors.complaint_narrow(
            selectors.complaint_list(request.user, steps=chosen or None), **narrow
        )
        fishbone = ListNarrowForm(request.GET)
        fishbone.is_valid()
        complaints, on_bone = _fishbone_narrow(complaints, fishbone.cleaned_data)
        now, url = timezone.now(), id_url("tickets:complaint_detail")
        page = window_page(
            complaints.values(*ROW_FIELDS),
            request.GET.get("page"),
            PAGE_SIZE,
            row=lambda values: complaint_row(values, now, url),
        )
        query = request.GET.copy()
        query.pop("page", None)
        return render(
            request,
            "tickets/complaints/list.html",
            {
                "page": page,
                "steps": Step.choices,
                "chosen": chosen,
                "narrowed": chosen or any(narrow.values()) or on_bone,
                "on_bone": on_bone,
                "is_manager": is_manager_or_admin(request.user),
                **narrow,
                "query": query.urlencode(),
            },
        )


def _fishbone_narrow(complaints, data: dict):
    """The fishbone's links: a bone's complaints closed in its period (and department), so the
    list's rows are the bone's count."""
    if not data.get("bone"):
        return complaints, None
    bone = CauseBone.objects.filter(pk=data["bone"]).first()
    if bone is None:
        return complaints.none(), None
    complaints = complaints_on_bone(complaints, bone.pk)
    since = until = None
    if data.get("closed_from") and data.get("closed_to"):
        since, until = day_bounds(data["closed_from"], data["closed_to"])
    complaints = complaints_closed_in(
        complaints, since=since, until=until, department_id=data.get("department")
    )
    return complaints, {"bone": bone, "from": data.get("closed_from"), "to": data.get("closed_to")}


def complaint_or_404(user, pk) -> Complaint:
    try:
        return selectors.complaint_get(user, pk)
    except Complaint.DoesNotExist as exc:
        raise Http404(_("No such complaint.")) from exc


def step_choices(user, complaint: Complaint, step: str) -> dict:
    """What the step's rows offer, read once: departments for the options; owners and the
    customer's records (that the user sees) for the actions."""
    if step == Step.OPTIONS:
        departments = Department.objects.filter(is_active=True).order_by("code")
        return {"departments": [(d.pk, d.name) for d in departments]}
    if step == Step.ACT:
        owners = department_assignable_users(Department.objects.values("pk"))
        records = (
            record_visible(user)
            .filter(customer_id=complaint.record.customer_id)
            .only("pk", "subject")
            .order_by("-pk")[:LINKABLE_RECORDS]
        )
        return {
            "owners": [(u.pk, display_name(u)) for u in owners],
            "records": [(r.pk, f"{r.reference} {r.subject}") for r in records],
        }
    return {}


def _revisions(entries) -> dict[int, list]:
    """Each entry's earlier versions, oldest first (the history's last row is the entry itself)."""
    by_entry: dict[int, list] = {}
    rows = ComplaintStepEntry.history.filter(id__in=[e.pk for e in entries]).order_by(
        "history_date", "history_id"
    )
    for row in rows:
        by_entry.setdefault(row.id, []).append(row)
    return {pk: versions[:-1] for pk, versions in by_entry.items()}


def _stepper(complaint: Complaint, entries: list) -> list[dict]:
    revisions = _revisions(entries)
    position = STEPS.index(complaint.step) if complaint.step in STEPS else len(STEPS)
    stepper = []
    for i, step in enumerate(STEPS):
        stepper.append(
            {
                "step": step,
                "label": Step(step).label,
                "guidance": GUIDANCE[step],
                "target": STEP_TARGETS[step],
                "state": "done" if i < position else ("current" if i == position else "todo"),
                "entries": [
                    {
                        "entry": e,
                        "rows": entry_rows(e.step, e.data),
                        "took": e.taken_at - e.started_at,
                        "late": bool(STEP_TARGETS[step])
                        and e.taken_at - e.started_at > STEP_TARGETS[step],
                        "revisions": [
                            {
                                "when": r.history_date,
                                "by": r.history_user,
                                "rows": entry_rows(step, r.data),
                            }
                            for r in revisions.get(e.pk, [])
                        ],
                    }
                    for e in entries
                    if e.step == step
                ],
            }
        )
    return stepper


def detail_page(request, complaint: Complaint, *, forms=None, revise=None, status=200, **extra):
    """The complaint page; a failed write re-renders it with its bound forms and errors."""
    user = request.user
    entries = list(complaint.entries.all())
    last = entries[-1] if entries else None
    open_step = complaint.step != Step.CLOSED
    # Step 5 with its actions planned moves on as they are done, not through a form.
    planned = complaint.step == Step.ACT and any(a.done_at is None for a in complaint.actions.all())
    if forms is None and open_step and not planned:
        choices = step_choices(user, complaint, complaint.step)
        forms = StepForms(complaint.step, choices=choices)
    # The last step taken can be corrected until the next one is (services.complaint_revise_step).
    revisable = last is not None and open_step and last.step in REVISABLE
    if revise is None and revisable:
        choices = step_choices(user, complaint, last.step)
        revise = StepForms(last.step, choices=choices, initial=last.data)
    if forms is not None and forms.step == Step.RECHECK and not is_manager_or_admin(user):
        forms.form.fields["result"].choices = forms.form.fields["result"].choices[:2]
    return render(
        request,
        "tickets/complaints/detail.html",
        {
            "complaint": complaint,
            "stepper": _stepper(complaint, entries),
            "actions": list(complaint.actions.all()),
            "forms": forms,
            "revise": revise if revisable else None,
            "revise_entry": last if revisable else None,
            "is_manager": is_manager_or_admin(user),
            "today": timezone.localdate(),
            "cause": cause_context(complaint, user, with_form=False),
            # What apps above tickets show of the complaint's record: its re-check visit.
            "sections": record_sections.render_context(complaint.record, user),
            "record": complaint.record,
            **extra,
        },
        status=status,
    )


class ComplaintDetailView(DeskView):
    section = "complaints"

    def get(self, request, pk):
        return detail_page(request, complaint_or_404(request.user, pk))
