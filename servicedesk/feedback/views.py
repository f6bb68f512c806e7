"""Staff pages for the team: daily cases, the suggestion box, meeting minutes and internal
customers. Reads come from selectors (shaped by rows), writes go through services."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from servicedesk.core.exceptions import ConflictError, DomainError
from servicedesk.core.forms import add_service_error
from servicedesk.core.jinja_env import id_url
from servicedesk.core.pagination import window_page
from servicedesk.core.periods import day_bounds
from servicedesk.core.roles import Role, is_manager_or_admin
from servicedesk.core.selectors import user_departments
from servicedesk.core.transitions import allowed_targets
from servicedesk.core.views import DeskView
from tickets.models import ServiceRecord

from . import rows, selectors, services
from .forms import (
    CaseForm,
    HandoverForm,
    MeetingForm,
    PeriodForm,
    SuggestionForm,
    SuggestionMoveForm,
)
from .models import CaseKind, DailyCase, Meeting, Suggestion, SuggestionStatus

PAGE_SIZE = 25
SECTION = "team"
MANAGERS = (Role.MANAGER, Role.ADMINISTRATOR)


def page_urls() -> dict:
    """The addresses rows link to, each reversed once a page."""
    return {
        "case": id_url("feedback:case"),
        "suggestion": id_url("feedback:suggestion"),
        "meeting": id_url("feedback:meeting"),
        "record": id_url("tickets:detail"),
    }


def _query(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def _own_departments(user) -> list[tuple[int, str]]:
    return [(d.pk, d.name) for d in user_departments(user)]


def _keep_for_retry(form, exc: ConflictError) -> None:
    """Say who was first, and give the form the current version: saving it again then applies
    this person's input over the other one's change on purpose, never silently."""
    fields = ", ".join(sorted(exc.changes)) or _("unknown fields")
    form.add_error(
        None,
        _("Someone else saved this while you were working (%(fields)s).") % {"fields": fields},
    )
    form.data = form.data.copy()
    form.data["version"] = exc.current


def _or_404(read, user, pk, model, message):
    """read(user, pk), or a 404 for a row that does not exist or that the user does not see."""
    try:
        return read(user, pk)
    except model.DoesNotExist as exc:
        raise Http404(message) from exc


# --- the team page --------------------------------------------------------------------------------


class TeamView(DeskView):
    section = SECTION

    def get(self, request):
        urls = page_urls()
        cases = selectors.case_team(request.user)
        counts = selectors.suggestion_counts()
        return render(
            request,
            "feedback/index.html",
            {
                "today": [rows.case_row(v, urls) for v in cases["today"]],
                "recent": [rows.case_row(v, urls) for v in cases["recent"]],
                "mine": [rows.case_row(v, urls) for v in cases["mine"]],
                "meetings": [
                    rows.meeting_row(v, urls) for v in selectors.meeting_recent(request.user)
                ],
                "box": [
                    (value, label, counts.get(value, 0))
                    for value, label in SuggestionStatus.choices
                ],
                "is_manager": is_manager_or_admin(request.user),
            },
        )


# --- daily cases ----------------------------------------------------------------------------------


class CaseListView(DeskView):
    section = SECTION

    def get(self, request):
        manager = is_manager_or_admin(request.user)
        # "unshared" and "all" are the managers' (selectors.CASE_SCOPES ends with them).
        scopes = selectors.CASE_SCOPES if manager else selectors.CASE_SCOPES[:2]
        scope = request.GET.get("scope")
        scope = scope if scope in scopes else "shared"
        kind = request.GET.get("kind")
        kind = kind if kind in CaseKind.values else None
        urls = page_urls()
        page = window_page(
            selectors.case_list(request.user, scope=scope, kind=kind),
            request.GET.get("page"),
            PAGE_SIZE,
            values=selectors.CASE_FIELDS,
            row=lambda values: rows.case_row(values, urls),
        )
        labels = {
            "shared": _("Shared with the team"),
            "mine": _("Mine"),
            "unshared": _("Not shared yet"),
            "all": _("All"),
        }
        return render(
            request,
            "feedback/cases.html",
            {
                "page": page,
                "scopes": [(s, labels[s]) for s in scopes],
                "scope": scope,
                "kind": kind,
                "kinds": CaseKind.choices,
                "is_manager": manager,
                "query": _query(request),
            },
        )


class CaseCreateView(DeskView):
    section = SECTION

    def get(self, request, form=None, status=200):
        departments = _own_departments(request.user)
        form = form or CaseForm(
            departments=departments,
            initial={"kind": request.GET.get("kind"), "record": request.GET.get("record")},
        )
        return render(request, "feedback/case_form.html", {"form": form}, status=status)

    def post(self, request):
        form = CaseForm(request.POST, departments=_own_departments(request.user))
        if not form.is_valid():
            return self.get(request, form=form, status=400)
        data = form.cleaned_data
        try:
            case = services.case_create(
                by=request.user,
                kind=data["kind"],
                title=data["title"],
                happened=data["happened"],
                lesson=data["lesson"],
                record_id=data["record"],
                department_id=data["department"],
            )
        except DomainError as exc:
            add_service_error(form, exc)
            return self.get(request, form=form, status=400)
        messages.success(request, _("Thank you. A manager may share your case with the team."))
        return redirect("feedback:case", pk=case.pk)


class CaseDetailView(DeskView):
    section = SECTION

    def get(self, request, pk):
        case = _or_404(selectors.case_get, request.user, pk, DailyCase, _("No such case."))
        return render(
            request,
            "feedback/case_detail.html",
            {
                "case": case,
                "record_reference": ServiceRecord.reference_of(case.record_id)
                if case.record_id
                else "",
                "is_manager": is_manager_or_admin(request.user),
            },
        )


class CaseShareView(DeskView):
    section = SECTION
    roles = MANAGERS

    def post(self, request, pk):
        shared = request.POST.get("shared") == "1"
        try:
            services.case_set_shared(by=request.user, case_id=pk, shared=shared)
        except DailyCase.DoesNotExist as exc:
            raise Http404(_("No such case.")) from exc
        except DomainError as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(
                request,
                _("Shared with the team.") if shared else _("No longer shared with the team."),
            )
        return redirect("feedback:case", pk=pk)


# --- the suggestion box ---------------------------------------------------------------------------


class SuggestionListView(DeskView):
    section = SECTION

    def get(self, request):
        status = request.GET.get("status")
        status = status if status in SuggestionStatus.values else None
        mine = request.GET.get("mine") == "1"
        urls = page_urls()
        page = window_page(
            selectors.suggestion_list(request.user, status=status, mine=mine),
            request.GET.get("page"),
            PAGE_SIZE,
            values=selectors.SUGGESTION_FIELDS,
            row=lambda values: rows.suggestion_row(values, urls),
        )
        return render(
            request,
            "feedback/suggestions.html",
            {
                "page": page,
                "status": status,
                "mine": mine,
                "statuses": SuggestionStatus.choices,
                "narrowed": bool(status or mine),
                "query": _query(request),
            },
        )


class SuggestionCreateView(DeskView):
    section = SECTION

    def get(self, request, form=None, status=200):
        return render(
            request,
            "feedback/suggestion_form.html",
            {"form": form or SuggestionForm()},
            status=status,
        )

    def post(self, request):
        form = SuggestionForm(request.POST)
        if not form.is_valid():
            return self.get(request, form=form, status=400)
        try:
            suggestion = services.suggestion_submit(by=request.user, **form.cleaned_data)
        except DomainError as exc:
            add_service_error(form, exc)
            return self.get(request, form=form, status=400)
        messages.success(request, _("Thank you. You will be told when its status changes."))
        return redirect("feedback:suggestion", pk=suggestion.pk)


def suggestion_page(request, pk, *, form=None, conflict=None, status=200):
    values = _or_404(
        selectors.suggestion_page_values, request.user, pk, Suggestion, _("No such suggestion.")
    )
    row = rows.suggestion_row(values, page_urls())
    manager = is_manager_or_admin(request.user)
    allowed = allowed_targets(Suggestion, values["status"])
    if manager and allowed and form is None:
        form = SuggestionMoveForm(allowed=allowed, initial={"version": values["version"]})
    return render(
        request,
        "feedback/suggestion_detail.html",
        {
            "s": row,
            "body": values["body"],
            "response": values["response"],
            "form": form if manager and allowed else None,
            "conflict": conflict,
        },
        status=status,
    )


class SuggestionDetailView(DeskView):
    section = SECTION

    def get(self, request, pk):
        return suggestion_page(request, pk)


class SuggestionMoveView(DeskView):
    section = SECTION
    roles = MANAGERS

    def post(self, request, pk):
        current = Suggestion.objects.filter(pk=pk).values_list("status", flat=True).first()
        if current is None:
            raise Http404(_("No such suggestion."))
        allowed = allowed_targets(Suggestion, current)
        form = SuggestionMoveForm(request.POST, allowed=allowed)
        if not form.is_valid():
            return suggestion_page(request, pk, form=form, status=400)
        data = form.cleaned_data
        try:
            suggestion = services.suggestion_move(
                by=request.user,
                suggestion_id=pk,
                to=data["to"],
                version=data["version"],
                reason=data["reason"],
            )
        except ConflictError as exc:
            _keep_for_retry(form, exc)
            return suggestion_page(request, pk, form=form, conflict=exc.changes, status=409)
        except DomainError as exc:
            add_service_error(form, exc)
            return suggestion_page(request, pk, form=form, status=400)
        messages.success(
            request,
            _("The suggestion is now: %(status)s.")
            % {"status": SuggestionStatus(suggestion.status).label},
        )
        return redirect("feedback:suggestion", pk=pk)


# --- staff meetings -------------------------------------------------------------------------------


class MeetingListView(DeskView):
    section = SECTION

    def get(self, request):
        urls = page_urls()
        page = window_page(
            selectors.meeting_list(request.user),
            request.GET.get("page"),
            PAGE_SIZE,
            values=selectors.MEETING_FIELDS,
            row=lambda values: rows.meeting_row(values, urls),
        )
        return render(
            request,
            "feedback/meetings.html",
            {
                "page": page,
                "is_manager": is_manager_or_admin(request.user),
                "query": _query(request),
            },
        )


class MeetingDetailView(DeskView):
    section = SECTION

    def get(self, request, pk):
        meeting = _or_404(selectors.meeting_get, request.user, pk, Meeting, _("No such meeting."))
        return render(
            request,
            "feedback/meeting_detail.html",
            {"meeting": meeting, "is_manager": is_manager_or_admin(request.user)},
        )


def _meeting_args(data: dict) -> dict:
    return {
        "title": data["title"],
        "held_on": data["held_on"],
        "department_id": data["department"],
        "attendee_ids": [u.pk for u in data["attendees"]],
        "notes": data["notes"],
        "decisions": data["decisions"],
    }


class MeetingCreateView(DeskView):
    section = SECTION
    roles = MANAGERS

    def get(self, request, form=None, status=200):
        form = form or MeetingForm(
            departments=selectors.department_choices(),
            initial={"held_on": timezone.localdate()},
        )
        return render(
            request, "feedback/meeting_form.html", {"form": form, "meeting": None}, status=status
        )

    def post(self, request):
        form = MeetingForm(request.POST, departments=selectors.department_choices())
        if not form.is_valid():
            return self.get(request, form=form, status=400)
        try:
            meeting = services.meeting_create(by=request.user, **_meeting_args(form.cleaned_data))
        except DomainError as exc:
            add_service_error(form, exc)
            return self.get(request, form=form, status=400)
        messages.success(request, _("The minutes are saved; everyone can read them now."))
        return redirect("feedback:meeting", pk=meeting.pk)


class MeetingEditView(DeskView):
    section = SECTION
    roles = MANAGERS

    def _meeting(self, pk) -> Meeting:
        return _or_404(selectors.meeting_get, self.request.user, pk, Meeting, _("No such meeting."))

    def get(self, request, pk, form=None, conflict=None, status=200):
        meeting = self._meeting(pk)
        if form is None:
            form = MeetingForm(
                departments=selectors.department_choices(),
                initial={
                    "held_on": meeting.held_on,
                    "title": meeting.title,
                    "department": meeting.department_id,
                    "attendees": [u.pk for u in meeting.attendees.all()],
                    "notes": meeting.notes,
                    "decisions": meeting.decisions,
                    "version": meeting.version,
                },
            )
        return render(
            request,
            "feedback/meeting_form.html",
            {"form": form, "meeting": meeting, "conflict": conflict},
            status=status,
        )

    def post(self, request, pk):
        form = MeetingForm(request.POST, departments=selectors.department_choices())
        if not form.is_valid():
            return self.get(request, pk, form=form, status=400)
        try:
            services.meeting_update(
                by=request.user,
                meeting_id=pk,
                # A form without its version is a stale page: compare against the first one.
                version=form.cleaned_data["version"] or 1,
                **_meeting_args(form.cleaned_data),
            )
        except Meeting.DoesNotExist as exc:
            raise Http404(_("No such meeting.")) from exc
        except ConflictError as exc:
            _keep_for_retry(form, exc)
            return self.get(request, pk, form=form, conflict=exc.changes, status=409)
        except DomainError as exc:
            add_service_error(form, exc)
            return self.get(request, pk, form=form, status=400)
        messages.success(request, _("The minutes are saved."))
        return redirect("feedback:meeting", pk=pk)


# --- internal customers ---------------------------------------------------------------------------


class HandoverSummaryView(DeskView):
    """内部客户: how each department rates the handovers it receives from each other one."""

    section = SECTION
    roles = MANAGERS

    def get(self, request):
        departments = selectors.department_choices()
        form = PeriodForm(request.GET or None, departments=departments)
        invalid = form.is_bound and not form.is_valid()
        pairs, recent, period = [], [], None
        if not invalid:
            if not form.is_bound:
                form = PeriodForm({}, departments=departments)
                form.is_valid()
            data = form.cleaned_data
            since, until = day_bounds(data["since"], data["until"])
            period = (data["since"], data["until"])
            pairs = [
                rows.pair_row(v)
                for v in selectors.handover_pairs(
                    since=since, until=until, department_id=data["department"]
                )
            ]
            urls = page_urls()
            recent = [
                rows.rating_row(v, urls)
                for v in selectors.handover_recent(
                    since=since, until=until, department_id=data["department"]
                )
            ]
        return render(
            request,
            "feedback/handovers.html",
            {
                "form": form,
                "invalid": invalid,
                "pairs": pairs,
                "recent": recent,
                "period": period,
            },
            status=400 if invalid else 200,
        )


def _record_id(raw) -> int | None:
    text = str(raw or "").strip()
    return int(text) if text.isdigit() and 0 < len(text) < 10 else None


class HandoverCreateView(DeskView):
    """/feedback/handovers/new/?record=<id>: the receiving department rates a handover on a
    record it shares with another department (linked from the record's page)."""

    section = SECTION

    def _record(self, request, raw):
        record_id = _record_id(raw)
        if record_id is None:
            return None
        try:
            return selectors.handover_record(request.user, record_id)
        except ServiceRecord.DoesNotExist as exc:
            raise Http404(_("No such service record.")) from exc

    def _page(self, request, record, form=None, status=200):
        choices = selectors.handover_choices(request.user, record) if record else None
        if record is not None and form is None:
            form = HandoverForm(senders=choices["senders"], receivers=choices["receivers"])
        rated = []
        if choices:
            names = choices["names"]
            rated = sorted((names.get(a, "?"), names.get(b, "?")) for a, b in choices["rated"])
        return render(
            request,
            "feedback/handover_form.html",
            {
                "record": record,
                "form": form,
                "can_rate": bool(choices and choices["receivers"] and len(choices["senders"]) > 1),
                "is_member": bool(choices and choices["receivers"]),
                "rated": rated,
            },
            status=status,
        )

    def get(self, request):
        record = self._record(request, request.GET.get("record"))
        return self._page(request, record)

    def post(self, request):
        record = self._record(request, request.POST.get("record") or request.GET.get("record"))
        if record is None:
            raise Http404(_("No such service record."))
        choices = selectors.handover_choices(request.user, record)
        form = HandoverForm(
            request.POST, senders=choices["senders"], receivers=choices["receivers"]
        )
        if not form.is_valid():
            return self._page(request, record, form=form, status=400)
        data = form.cleaned_data
        try:
            services.handover_rate(
                by=request.user,
                record_id=record.pk,
                from_department_id=data["from_department"],
                to_department_id=data["to_department"],
                score=data["score"],
                comment=data["comment"],
            )
        except DomainError as exc:
            add_service_error(form, exc)
            return self._page(request, record, form=form, status=400)
        messages.success(request, _("Thank you: the handover is rated."))
        return redirect(reverse("tickets:detail", args=[record.pk]))
