"""Root-cause pages: the fishbone over a period, the fishbone workshops, and a complaint's cause
(`cause_context` feeds the section the complaint page includes). Thin shells over
rootcause.selectors (reads) and rootcause.services (writes)."""

from datetime import date, timedelta
from functools import cached_property
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from servicedesk.core.exceptions import ConflictError, DomainError
from servicedesk.core.pagination import window_page
from servicedesk.core.periods import day_bounds
from servicedesk.core.roles import Role, is_manager_or_admin
from servicedesk.core.selectors import department_list
from servicedesk.core.users import display_name
from servicedesk.core.views import DeskView

from ..models import Complaint, Step
from ..selectors import complaint_visible
from . import drawing, selectors, services
from .forms import (
    DEFAULT_PERIOD_DAYS,
    CauseForm,
    ChooseForm,
    FishboneFilterForm,
    ParticipantsForm,
    SolutionForm,
    WorkshopCauseForm,
    WorkshopForm,
)
from .models import MAX_WHYS, MIN_SOLUTIONS, CorrectiveAction, FishboneWorkshop

MANAGERS = (Role.MANAGER, Role.ADMINISTRATOR)
PAGE_SIZE = 25


class Choices:
    """The people and bones a page offers, each read once however many selects show them."""

    @cached_property
    def users(self) -> list[tuple[int, str]]:
        return [(u.pk, display_name(u)) for u in selectors.desk_users()]

    @cached_property
    def bones(self) -> list:
        return list(selectors.bone_list())

    @property
    def bone_choices(self) -> list[tuple[int, str]]:
        return [(b.pk, b.name) for b in self.bones]


def _short(day: date) -> str:
    return date_format(day, "SHORT_DATE_FORMAT")


# --- the fishbone --------------------------------------------------------------------------------


class FishboneView(DeskView):
    """Closed complaints' causes by bone over a period (by when they closed) and a department."""

    roles = MANAGERS
    section = "complaints"

    def get(self, request):
        bound = any(key in request.GET for key in ("from", "to", "department"))
        form = FishboneFilterForm(request.GET if bound else None)
        if bound and not form.is_valid():
            # Nothing is counted for a period that cannot be used: the form says what to correct.
            return render(request, "tickets/rootcause/fishbone.html", {"filter": form}, status=400)
        if bound:
            since, until = form.cleaned_data["from"], form.cleaned_data["to"]
            department = form.cleaned_data["department"]
        else:
            until = timezone.localdate()
            since, department = until - timedelta(days=DEFAULT_PERIOD_DAYS - 1), None
            form = FishboneFilterForm(initial={"from": since, "to": until})
        start, end = day_bounds(since, until)
        bones = selectors.fishbone_counts(
            request.user,
            since=start,
            until=end,
            department_id=department.pk if department else None,
        )
        # The list's own words: ?bone=&closed_from=&closed_to=&responsible_department= (see
        # selectors.complaints_on_bone and complaints_closed_in), so a bone's count is its list.
        query = {"closed_from": since.isoformat(), "closed_to": until.isoformat()}
        if department:
            query["responsible_department"] = department.pk
        complaints = reverse("tickets:complaints")
        rows = drawing.shares(
            [
                {
                    "label": b.name,
                    "count": b.n,
                    "href": f"{complaints}?{urlencode({'bone': b.pk, **query})}",
                }
                for b in bones
            ]
        )
        period = f"{_short(since)} – {_short(until)}"
        # The head names the problem; one date a line, as a Chinese date is twice as wide.
        where = drawing.wrap(department.name if department else _("All departments"), lines=1)
        head = [_("Complaints closed"), f"{_short(since)} –", _short(until), *where]
        workshop = {
            "problem": _("Complaints closed %(period)s") % {"period": period},
            "period_from": since.isoformat(),
            "period_to": until.isoformat(),
            **({"department": department.pk} if department else {}),
        }
        return render(
            request,
            "tickets/rootcause/fishbone.html",
            {
                "filter": form,
                "valid": True,
                "since": since,
                "until": until,
                "department": department,
                "rows": rows,
                "total": sum(r["count"] for r in rows),
                "drawing": drawing.fishbone(rows, head=head),
                "workshop_query": urlencode(workshop),
                "closed_list": f"{complaints}?{urlencode({'step': Step.CLOSED})}",
            },
        )


# --- workshops -----------------------------------------------------------------------------------


class WorkshopListView(DeskView):
    roles = MANAGERS
    section = "complaints"

    def get(self, request):
        page = window_page(selectors.workshop_list(), request.GET.get("page"), PAGE_SIZE)
        return render(request, "tickets/rootcause/workshop_list.html", {"page": page, "query": ""})


class WorkshopCreateView(DeskView):
    roles = MANAGERS
    section = "complaints"
    # What the fishbone page's "hold a workshop" link may fill in.
    PREFILL = ("problem", "period_from", "period_to", "department")

    def _form(self, data=None, initial=None) -> WorkshopForm:
        departments = [(d.pk, d.name) for d in department_list()]
        users = Choices().users
        return WorkshopForm(data, initial=initial, users=users, departments=departments)

    def _page(self, request, form, status=200):
        context = {"form": form}
        return render(request, "tickets/rootcause/workshop_form.html", context, status=status)

    def get(self, request):
        initial = {k: request.GET[k] for k in self.PREFILL if request.GET.get(k)}
        initial.setdefault("held_on", timezone.localdate())
        initial.setdefault("facilitator", request.user.pk)
        return self._page(request, self._form(initial=initial))

    def post(self, request):
        form = self._form(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                workshop = services.workshop_create(
                    by=request.user,
                    problem=data["problem"],
                    held_on=data["held_on"],
                    facilitator_id=data["facilitator"],
                    department_id=data["department"],
                    period_from=data["period_from"],
                    period_to=data["period_to"],
                    participant_ids=data["participants"],
                )
            except DomainError as exc:
                form.refuse(exc)
            else:
                messages.success(request, _("The workshop was created. Add causes and solutions."))
                return redirect("tickets:rootcause:workshop", pk=workshop.pk)
        return self._page(request, form, status=400)


def _workshop_or_404(pk) -> FishboneWorkshop:
    try:
        return selectors.workshop_get(pk)
    except FishboneWorkshop.DoesNotExist as exc:
        raise Http404(_("No such workshop.")) from exc


def _workshop_forms(workshop, choices: Choices, data=None, *, only: str | None = None) -> dict:
    """The page's four forms, unbound; or just `only`, bound to `data`."""
    present = {u.pk for u in workshop.participants.all()}
    open_solutions = [(s.pk, s.text) for s in workshop.solutions.all() if not s.chosen]
    makers = {
        "participants_form": lambda d: ParticipantsForm(
            d, users=[(pk, name) for pk, name in choices.users if pk not in present]
        ),
        "cause_form": lambda d: WorkshopCauseForm(d, bones=choices.bone_choices),
        "solution_form": lambda d: SolutionForm(d),
        "choose_form": lambda d: ChooseForm(d, solutions=open_solutions, users=choices.users),
    }
    if only:
        return {only: makers[only](data)}
    return {name: make(None) for name, make in makers.items()}


def _workshop_page(request, workshop, choices: Choices, *, bound=None, status=200):
    causes = list(workshop.causes.all())
    solutions = list(workshop.solutions.all())
    # Every active bone, and a retired one still holding causes, in the bones' order.
    bones = {b.pk: b for b in choices.bones}
    bones.update({c.bone_id: c.bone for c in causes if c.bone_id not in bones})
    ordered = sorted(bones.values(), key=lambda b: (b.order, b.pk))
    by_bone = [{"bone": b, "causes": [c for c in causes if c.bone_id == b.pk]} for b in ordered]
    rows = drawing.shares(
        [
            {"label": g["bone"].name, "count": len(g["causes"]), "href": f"#bone-{g['bone'].pk}"}
            for g in by_bone
        ]
    )
    # Only managers reach this page, and a manager may mark any action done.
    actions = [{"action": a, "can_done": a.done_at is None} for a in workshop.actions.all()]
    context = {
        "workshop": workshop,
        "by_bone": by_bone,
        "rows": rows,
        "drawing": drawing.fishbone(rows, head=drawing.wrap(workshop.problem)),
        "solutions": solutions,
        "listed": len(solutions),
        "min_solutions": MIN_SOLUTIONS,
        "still_needed": max(0, MIN_SOLUTIONS - len(solutions)),
        "actions": actions,
        "max_whys": MAX_WHYS,
        **_workshop_forms(workshop, choices),
        **(bound or {}),
    }
    return render(request, "tickets/rootcause/workshop.html", context, status=status)


class WorkshopView(DeskView):
    roles = MANAGERS
    section = "complaints"

    def get(self, request, pk):
        return _workshop_page(request, _workshop_or_404(pk), Choices())


class _WorkshopWrite(DeskView):
    """One of the workshop page's forms: saved and back to the page, or the page again with the
    form's errors (400)."""

    roles = MANAGERS
    section = "complaints"
    form_name = ""
    anchor = ""

    def save(self, request, workshop, form) -> str:
        raise NotImplementedError

    def post(self, request, pk):
        workshop = _workshop_or_404(pk)
        choices = Choices()
        bound = _workshop_forms(workshop, choices, request.POST, only=self.form_name)
        form = bound[self.form_name]
        if form.is_valid():
            try:
                done = self.save(request, workshop, form)
            except DomainError as exc:
                form.refuse(exc)
            else:
                messages.success(request, done)
                url = reverse("tickets:rootcause:workshop", args=[workshop.pk])
                return redirect(f"{url}#{self.anchor}")
        return _workshop_page(request, workshop, choices, bound=bound, status=400)


class WorkshopParticipantsView(_WorkshopWrite):
    form_name, anchor = "participants_form", "participants"

    def save(self, request, workshop, form):
        services.workshop_add_participants(
            by=request.user, workshop_id=workshop.pk, user_ids=form.cleaned_data["participants"]
        )
        return _("Participants added.")


class WorkshopCauseView(_WorkshopWrite):
    form_name, anchor = "cause_form", "causes"

    def save(self, request, workshop, form):
        services.workshop_cause_add(
            by=request.user,
            workshop_id=workshop.pk,
            bone_id=form.cleaned_data["bone"],
            text=form.cleaned_data["text"],
            whys=form.whys(),
        )
        return _("Cause added to the fishbone.")


class WorkshopSolutionView(_WorkshopWrite):
    form_name, anchor = "solution_form", "solutions"

    def save(self, request, workshop, form):
        services.workshop_solution_add(
            by=request.user, workshop_id=workshop.pk, text=form.cleaned_data["text"]
        )
        return _("Solution listed.")


class WorkshopChooseView(_WorkshopWrite):
    form_name, anchor = "choose_form", "actions"

    def save(self, request, workshop, form):
        made = services.workshop_solutions_choose(
            by=request.user, workshop_id=workshop.pk, choices=form.choices()
        )
        return _("%(n)d corrective actions planned; their owners were told.") % {"n": len(made)}


def _mark_done(request, action: CorrectiveAction | None) -> None:
    if action is None:
        raise Http404(_("No such action."))
    try:
        services.corrective_action_done(by=request.user, action_id=action.pk)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("“%(action)s” is done.") % {"action": action.description})


class WorkshopActionDoneView(DeskView):
    roles = MANAGERS
    section = "complaints"

    def post(self, request, pk, action_id):
        _mark_done(request, CorrectiveAction.objects.filter(pk=action_id, workshop_id=pk).first())
        return redirect(reverse("tickets:rootcause:workshop", args=[pk]) + "#actions")


# --- a complaint's cause -------------------------------------------------------------------------


def _complaint_or_404(user, pk) -> Complaint:
    complaint = complaint_visible(user).select_related("record").filter(pk=pk).first()
    if complaint is None:
        raise Http404(_("No such complaint."))
    return complaint


def _cause_initial(filed) -> dict:
    if filed is None:
        return {}
    whys = {f"why_{n}": why for n, why in enumerate(filed.whys, start=1)}
    return {"version": filed.version, "bone": filed.bone_id, "summary": filed.summary, **whys}


def cause_context(
    complaint,
    user,
    *,
    form: CauseForm | None = None,
    with_form: bool = True,
    has_cause: bool = True,
) -> dict:
    """What templates/tickets/rootcause/complaint_cause.html shows, as its `cause` variable: the
    filed cause, its actions (with whether this user may mark each done), and for a manager on a
    closed complaint the form to file or refile it. Two queries, four for a manager's form.

    The complaint page passes `with_form=False` and links to the cause page instead: the form's
    person choices, every member of the desk in each action row, would cost that page more than
    all the rest of it; it also knows whether a cause is filed (`has_cause=False`: none, so none
    is read)."""
    filed = selectors.cause_get(complaint.pk) if has_cause else None
    closed = complaint.step == Step.CLOSED
    manager = is_manager_or_admin(user)
    if closed and manager and form is None and with_form:
        choices = Choices()
        form = CauseForm(
            initial=_cause_initial(filed), bones=choices.bone_choices, users=choices.users
        )
    actions = list(filed.actions.all()) if filed else []
    return {
        "complaint_id": complaint.pk,
        "closed": closed,
        "filed": filed,
        "actions": [
            {"action": a, "can_done": a.done_at is None and (manager or a.owner_id == user.pk)}
            for a in actions
        ],
        # A refused form is shown with its errors even when the complaint was reopened meanwhile:
        # its error says why the cause cannot be filed now.
        "form": form if manager and (closed or (form is not None and form.is_bound)) else None,
        "file_url": reverse("tickets:rootcause:cause", args=[complaint.pk]),
        "can_file": closed and manager,
    }


class CauseView(DeskView):
    """GET: the cause and its form on a page of their own. POST: file or refile; success goes
    back to the complaint, a refusal shows this page with the errors (400, 409 on a conflict)."""

    roles = MANAGERS
    section = "complaints"

    def _page(self, request, complaint, form=None, status=200):
        cause = cause_context(complaint, request.user, form=form)
        context = {"complaint": complaint, "cause": cause}
        return render(request, "tickets/rootcause/cause_form.html", context, status=status)

    def get(self, request, pk):
        return self._page(request, _complaint_or_404(request.user, pk))

    def post(self, request, pk):
        complaint = _complaint_or_404(request.user, pk)
        choices = Choices()
        kwargs = {"bones": choices.bone_choices, "users": choices.users}
        form = CauseForm(request.POST, **kwargs)
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.cause_file(
                    by=request.user,
                    complaint_id=complaint.pk,
                    bone_id=data["bone"],
                    whys=form.whys(),
                    summary=data["summary"],
                    corrective_actions=form.corrective_actions(),
                    version=data["version"],
                )
            except ConflictError:
                # Shown the cause as it now stands, with their own words kept: sending again
                # replaces it knowingly.
                status = 409
                current = selectors.cause_get(complaint.pk)
                again = request.POST.copy()
                again["version"] = current.version if current else ""
                form = CauseForm(again, **kwargs)
                form.is_valid()
                form.add_error(
                    None,
                    _(
                        "Someone else filed this cause while you were writing; it is shown "
                        "above. Send yours again to replace it."
                    ),
                )
            except DomainError as exc:
                form.refuse(exc)
            else:
                messages.success(request, _("The root cause was filed."))
                return redirect("tickets:complaint_detail", pk=complaint.pk)
        return self._page(request, complaint, form, status=status)


class CauseActionDoneView(DeskView):
    """Its owner or a manager marks a complaint's corrective action done."""

    section = "complaints"

    def post(self, request, pk, action_id):
        complaint = _complaint_or_404(request.user, pk)
        _mark_done(
            request,
            CorrectiveAction.objects.filter(pk=action_id, cause__complaint=complaint).first(),
        )
        return redirect("tickets:complaint_detail", pk=complaint.pk)
