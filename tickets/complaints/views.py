"""Staff pages for complaints: the list by step, and a complaint's page with its six steps as a
stepper (the current step's form, earlier steps read only with their revisions; its content is
read and shaped in page.py). The writes are in step_views.py; both go through
tickets.complaints.services."""

from django.http import Http404
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template.loader import get_template
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from servicedesk.core.jinja_env import id_url
from servicedesk.core.models import Department
from servicedesk.core.pagination import window_page
from servicedesk.core.periods import day_bounds
from servicedesk.core.roles import is_manager_or_admin
from servicedesk.core.users import display_name
from servicedesk.core.views import DeskView

from .. import sections as record_sections
from ..selectors import department_assignable_users, record_visible
from . import page, selectors
from .forms import ComplaintListForm, StepForms
from .models import HANDLED_STEPS, Complaint, Step
from .rootcause.models import CauseBone
from .rootcause.selectors import complaints_closed_in, complaints_on_bone
from .rootcause.views import cause_context
from .rows import ROW_FIELDS, complaint_row
from .services import REVISABLE

PAGE_SIZE = 25
LINKABLE_RECORDS = 50


class ComplaintListView(DeskView):
    section = "complaints"

    def get(self, request):
        manager = is_manager_or_admin(request.user)
        form = ComplaintListForm(request.GET, manager=manager)
        valid = form.is_valid()
        data = form.cleaned_data if valid else {}
        complaints = selectors.complaint_list(request.user, steps=data.get("step") or None)
        if valid:
            complaints, on_bone = _narrow(complaints, data)
        else:
            # Filters that cannot be read list nothing and say why, rather than a list that
            # looks narrowed but is not.
            complaints, on_bone = complaints.none(), None
        counted = {}
        if data.get("overdue") or data.get("breached"):
            # The dashboards count actions; the rows are complaints, so say how many they hold.
            counted = selectors.action_counts(complaints)
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
                "filter": form,
                "invalid_filter": not valid,
                "steps": Step.choices,
                "chosen": data.get("step") or [],
                "narrowed": not valid or any(data.values()),
                "on_bone": on_bone,
                "is_manager": manager,
                "overdue": data.get("overdue"),
                "recovered": data.get("recovered"),
                "breached": data.get("breached"),
                "counted": counted,
                "query": query.urlencode(),
            },
            status=200 if valid else 400,
        )


def _narrow(complaints, data: dict):
    """The valid filters: the complaint's own (overdue, breached, recovered), its record's (the
    record list's words) and the fishbone's."""
    complaints = selectors.complaint_narrow(
        complaints,
        overdue=data["overdue"],
        breached=data["breached"],
        recovered=data["recovered"],
        department=_pk(data["responsible_department"]),
    )
    since = until = None
    if data["created_after"]:
        since = day_bounds(data["created_after"], data["created_after"])[0]
    if data["created_before"]:
        until = day_bounds(data["created_before"], data["created_before"])[1]
    complaints = selectors.complaint_by_record(
        complaints,
        since=since,
        until=until,
        department_id=_pk(data["department"]),
        stage=data["stage"],
        assignee_id=_pk(data["assignee"]),
        category_id=_pk(data["category"]),
        tier=data["customer_tier"],
    )
    return _fishbone_narrow(complaints, data)


def _pk(obj) -> int | None:
    return obj.pk if obj is not None else None


def _fishbone_narrow(complaints, data: dict):
    """The fishbone's links: a bone's complaints closed in its period, so the list's rows are the
    bone's count. An unknown bone lists nothing."""
    if not data.get("bone"):
        return complaints, None
    bone = CauseBone.objects.filter(pk=data["bone"]).first()
    if bone is None:
        return complaints.none(), None
    complaints = complaints_on_bone(complaints, bone.pk)
    since = until = None
    if data.get("closed_from") and data.get("closed_to"):
        since, until = day_bounds(data["closed_from"], data["closed_to"])
    complaints = complaints_closed_in(complaints, since=since, until=until)
    return complaints, {"bone": bone, "from": data.get("closed_from"), "to": data.get("closed_to")}


def complaint_or_404(user, pk) -> Complaint:
    try:
        return selectors.complaint_get(user, pk)
    except Complaint.DoesNotExist as exc:
        raise Http404(_("No such complaint.")) from exc


def step_choices(user, customer_id: int, steps) -> dict:
    """What the steps' rows offer, read once for every step given: departments for the options;
    owners and the customer's records (that the user sees) for the actions."""
    choices = {}
    if Step.OPTIONS in steps:
        departments = Department.objects.filter(is_active=True).order_by("code")
        choices["departments"] = [(d.pk, d.name) for d in departments]
    if Step.ACT in steps:
        owners = department_assignable_users(Department.objects.values("pk"))
        records = (
            record_visible(user)
            .filter(customer_id=customer_id)
            .only("pk", "subject")
            .order_by("-pk")[:LINKABLE_RECORDS]
        )
        choices["owners"] = [(u.pk, display_name(u)) for u in owners]
        choices["records"] = [(r.pk, f"{r.reference} {r.subject}") for r in records]
    return choices


def _form_html(request, forms: StepForms, action: str, version: int, submit: str) -> str:
    """A step's form, written by the Django template it always was (its fields through
    includes/field.html), for the page's Jinja part to place. No context processors: the form
    needs only the CSRF token."""
    context = {
        "f": forms,
        "action": action,
        "version": version,
        "submit": submit,
        "csrf_token": get_token(request),
    }
    return get_template("tickets/complaints/includes/step_form.html").render(context)


def detail_page(request, pk: int, *, forms=None, revise=None, status=200, **extra):
    """The complaint page (404 for a complaint the user does not see); a failed write re-renders
    it with its bound forms and errors."""
    user = request.user
    record_url = id_url("tickets:detail")
    try:
        values = selectors.complaint_page_values(user, pk)
    except Complaint.DoesNotExist as exc:
        raise Http404(_("No such complaint.")) from exc
    complaint = page.complaint_page(values, timezone.now(), record_url, id_url("customers:detail"))
    today = timezone.localdate()
    taken = selectors.complaint_entry_values(complaint.pk)
    revisions = selectors.entry_revisions(taken)
    entries = [page.entry_row(e, revisions.get(e["id"], [])) for e in taken]
    actions = [
        page.action_row(a, today, record_url)
        for a in selectors.complaint_action_values(complaint.pk)
    ]
    last = entries[-1] if entries else None
    open_step = not complaint.closed
    manager = is_manager_or_admin(user)
    # Step 5 with its actions planned moves on as they are done, not through a form.
    planned = complaint.step == Step.ACT and any(a.done_at is None for a in actions)
    # The last step taken can be corrected until the next one is (services.complaint_revise_step).
    revisable = last is not None and open_step and last.step in REVISABLE
    new_form = forms is None and open_step and not planned
    new_revise = revise is None and revisable
    # The choices of both forms in one read (the current step's and the revised one's).
    wanted = {complaint.step} if new_form else set()
    if new_revise:
        wanted.add(last.step)
    choices = step_choices(user, complaint.customer_id, wanted) if wanted else {}
    if new_form:
        forms = StepForms(complaint.step, choices=choices, manager=manager)
    if new_revise:
        revise = StepForms(last.step, choices=choices, initial=last.data)
    stepper = page.stepper(complaint, entries)
    if forms is not None:
        current = next((s for s in stepper if s.state == "current"), None)
        if current is not None:
            current.form = _form_html(
                request,
                forms,
                reverse("tickets:complaint_step", args=[complaint.pk]),
                complaint.version,
                _("Take this step"),
            )
    if revisable:
        last.revise_form = _form_html(
            request,
            revise,
            reverse("tickets:complaint_revise", args=[complaint.pk]),
            last.version,
            _("Save the revision"),
        )
        last.revise_open = revise.has_errors
    record = complaint.record
    return render(
        request,
        "tickets/complaints/detail.html",
        {
            "complaint": complaint,
            "stepper": stepper,
            "actions": actions,
            "is_manager": manager,
            # Handled far enough to be reviewed against a check form (servicedesk.audit).
            "reviewable_steps": HANDLED_STEPS,
            "today": today,
            "csrf": get_token(request),
            "cause": cause_context(complaint, user, with_form=False, has_cause=complaint.has_cause),
            # What apps above tickets show of the complaint's record: its re-check visit.
            "sections": record_sections.render_context(record, user),
            "record": record,
            **extra,
        },
        status=status,
    )


class ComplaintDetailView(DeskView):
    section = "complaints"

    def get(self, request, pk):
        return detail_page(request, pk)
