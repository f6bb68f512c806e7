"""Staff pages for complaints: the list by step and a complaint's six steps, read only for now
(steps are taken through /api/v1/complaints/{id}/steps/ until the step forms land)."""

from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from servicedesk.core.pagination import window_page
from servicedesk.core.views import DeskView

from . import selectors
from .models import STEPS, Complaint, Remedy, Step

PAGE_SIZE = 25

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


def _text(key: str, value) -> str:
    if key == "said_at" and value:
        moment = parse_datetime(value)
        return date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT") if moment else ""
    if value is True:
        return _("yes")
    if value is False:
        return _("no")
    return "" if value is None else str(value)


def entry_rows(entry) -> list[tuple[str, str]]:
    """(label, text) pairs of what a step recorded; options are numbered, the chosen one marked."""
    data = entry.data or {}
    if entry.step == Step.OPTIONS:
        rows = []
        remedies = dict(Remedy.choices)
        for i, option in enumerate(data.get("options", [])):
            text = f"{option.get('description', '')} · {remedies.get(option.get('remedy'), '')}"
            if option.get("cost") is not None:
                text += f" · {option['cost']}"
            if i == data.get("choice"):
                text += " · " + _("chosen by the customer")
            rows.append((_("Option %(n)d") % {"n": i + 1}, text))
        rows.extend(
            (_("Declined"), f"{item['request']} → {item['alternative']}")
            for item in data.get("declined", [])
        )
        return rows
    if entry.step == Step.ACT:
        return [(_("Actions planned"), str(len(data.get("actions", []))))]
    return [(FIELD_LABELS.get(k, k), _text(k, v)) for k, v in data.items() if v not in ("", None)]


class ComplaintListView(DeskView):
    section = "complaints"

    def get(self, request):
        chosen = [s for s in request.GET.getlist("step") if s in Step.values]
        complaints = selectors.complaint_list(request.user, steps=chosen or None)
        page = window_page(complaints, request.GET.get("page"), PAGE_SIZE)
        query = request.GET.copy()
        query.pop("page", None)
        return render(
            request,
            "tickets/complaints/list.html",
            {"page": page, "steps": Step.choices, "chosen": chosen, "query": query.urlencode()},
        )


class ComplaintDetailView(DeskView):
    section = "complaints"

    def get(self, request, pk):
        try:
            complaint = selectors.complaint_get(request.user, pk)
        except Complaint.DoesNotExist as exc:
            raise Http404(_("No such complaint.")) from exc
        entries = list(complaint.entries.all())
        stepper = []
        position = STEPS.index(complaint.step) if complaint.step in STEPS else len(STEPS)
        for i, step in enumerate(STEPS):
            stepper.append(
                {
                    "step": step,
                    "label": Step(step).label,
                    "state": "done" if i < position else ("current" if i == position else "todo"),
                    "entries": [
                        {"entry": e, "rows": entry_rows(e)} for e in entries if e.step == step
                    ],
                }
            )
        return render(
            request,
            "tickets/complaints/detail.html",
            {"complaint": complaint, "stepper": stepper, "actions": list(complaint.actions.all())},
        )
