"""Staff pages for callback visits (回访): thin shells over followups.selectors (reads) and
followups.services (writes), in the shape of the record pages (tickets.views).

The list's row actions answer an htmx request with the row alone and a plain POST with a redirect
and a message, so every action works without JavaScript.
"""

import calendar as month_calendar
from datetime import date, timedelta

from django.contrib import messages
from django.http import Http404
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from customers.models import Customer
from customers.selectors import customer_base, customer_search
from servicedesk.core.exceptions import ConflictError, DomainError
from servicedesk.core.forms import add_service_error
from servicedesk.core.models import Department
from servicedesk.core.pagination import window_page
from servicedesk.core.periods import day_bounds
from servicedesk.core.roles import Role, user_role
from servicedesk.core.selectors import status_changes, user_department_ids
from servicedesk.core.users import display_name
from servicedesk.core.views import DeskView
from tickets.selectors import department_assignable_users, record_visible

from . import selectors, services
from .forms import (
    DATETIME_LOCAL,
    AssignForm,
    CancelForm,
    ListFilterForm,
    MonthForm,
    NotReachedForm,
    OutcomeForm,
    PeriodForm,
    RescheduleForm,
    VisitCreateForm,
)
from .models import CallbackVisit, VisitStatus
from .rows import ROW_FIELDS, RowScope, instance_row, visit_row, with_phones

PAGE_SIZE = 25
# The week view: today and the six days after it.
WEEK_DAYS = 7
# The manager's default period, as the dashboard's: the last 30 days.
DEFAULT_PERIOD_DAYS = 30
CUSTOMER_MATCHES = 10
# One row alone, for htmx: Jinja2, as the lists' rows (followups.rows).
ROW_TEMPLATE = "followups/visit_row.html"


# --- helpers --------------------------------------------------------------------------------------


def _visit_or_404(user, pk) -> CallbackVisit:
    try:
        return selectors.visit_get(user, pk)
    except CallbackVisit.DoesNotExist as exc:
        # Another department's visit is "not found", not "forbidden": its existence is not leaked.
        raise Http404(_("No such callback.")) from exc


def _is_htmx(request) -> bool:
    return bool(request.htmx)  # django_htmx.middleware.HtmxMiddleware


def _back(request, default: str) -> str:
    """Where a plain POST returns to: the page it came from (a path of this desk) or `default`."""
    target = request.POST.get("next") or ""
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _conflict_text(exc: ConflictError) -> str:
    labels = {f.attname: str(f.verbose_name) for f in CallbackVisit._meta.concrete_fields}
    fields = ", ".join(sorted(labels.get(f, f) for f in exc.changes)) or _("unknown fields")
    return _(
        "Someone else changed this callback while you were working (%(fields)s). "
        "Check it and try again."
    ) % {"fields": fields}


def _outcome_initial(visit: CallbackVisit) -> dict:
    # Most calls reach the person the visit is for; the agent corrects it when not.
    person = visit.contact.name if visit.contact_id and visit.contact else visit.customer.name
    return {"version": visit.version, "reached_person": person}


def _assignment(user, visit: CallbackVisit) -> dict:
    """The assignment controls, as on the record page: managers and administrators pick from the
    visit's department; an agent takes an unclaimed visit of their department, or gives theirs
    back. The service has the last word (followups.services.visit_assign)."""
    workable = visit.status == VisitStatus.SCHEDULED
    if user_role(user) == Role.AGENT:
        return {
            "assignable": [],
            "can_take": workable
            and visit.assignee_id is None
            and visit.department_id in user_department_ids(user),
            "can_release": workable and visit.assignee_id == user.pk,
        }
    return {
        "assignable": department_assignable_users([visit.department_id]) if workable else [],
        "can_take": False,
        "can_release": False,
    }


def _inline_ids(visit_id: int) -> str:
    """Field ids of a row's inline form: several rows may hold one open at the same time."""
    return f"visit{visit_id}-%s"


def _page_rows(qs, raw_number, scope: RowScope):
    return window_page(qs, raw_number, PAGE_SIZE, row=lambda values: visit_row(values, scope))


def _row(request, visit_id: int, *, notice="", error="", form=None, status=200, visit=None):
    """One row of the list, for htmx to swap in place of the old one."""
    now = timezone.now()
    if visit is None:  # after a write: read it again, as the user now sees it
        # None if it was handed to someone outside the user's departments meanwhile
        visible = selectors.visit_visible(request.user).filter(pk=visit_id)
        values = visible.values(*ROW_FIELDS).first()
        row = visit_row(values, now) if values else None
        with_phones([row] if row else [])
    else:
        row = instance_row(visit, now)
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    outcome = ""
    if row is not None and form is not None:
        outcome = render_to_string(
            "followups/includes/outcome_inline.html",
            {"v": row, "outcome_form": form, "next": next_url},
            request=request,
        )
    context = {
        "rows": [row] if row else [],
        "csrf": get_token(request),
        "visit_id": visit_id,
        "notice": notice,
        "row_error": error,
        "outcome": outcome,
        "user_pk": request.user.pk,
        "next": next_url,
    }
    return render(request, ROW_TEMPLATE, context, status=status, using="rows")


def _done(request, visit_id: int, text: str, *, default: str):
    """Success: the new row for htmx, else a message and back to the page it came from."""
    if _is_htmx(request):
        return _row(request, visit_id, notice=text)
    messages.success(request, text)
    return redirect(_back(request, default))


def _form_errors_text(form) -> str:
    """A row action's refusal, naming each field and what is wrong with it."""
    parts = []
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else None
        # The hidden version has no label: a stale or hand-made page, which a reload mends.
        prefix = f"{label}: " if label else _("Reload the page and try again.") + " "
        parts.append(prefix + " ".join(errors))
    return " ".join(parts)


def _refused(request, visit_id: int, text: str, *, default: str, status: int = 400):
    if _is_htmx(request):
        return _row(request, visit_id, error=text, status=status)
    messages.error(request, text)
    return redirect(_back(request, default))


# --- the list -------------------------------------------------------------------------------------


class CallbackListView(DeskView):
    """Today's (or this week's) callbacks: the agent's own and their departments' unclaimed ones;
    or, from the calendar, every visible visit of one day."""

    section = "callbacks"

    def get(self, request):
        form = ListFilterForm(request.GET or None)
        invalid = form.is_bound and not form.is_valid()
        data = form.cleaned_data if form.is_bound and not invalid else {}
        day = data.get("day")
        chosen = data.get("range") or "today"
        query = request.GET.copy()
        for key in ("page", "qpage"):
            query.pop(key, None)
        context = {
            "filter": form,
            "invalid_filter": invalid,
            "range": chosen,
            "day": day,
            "query": query.urlencode(),
            "now": timezone.now(),
            "next": request.get_full_path(),
        }
        if invalid:
            # The unfiltered list under the message would look like the answer to the question.
            context.update(mine=None, queue=None, day_page=None)
        elif day is not None:
            start, end = day_bounds(day, day)
            visits = selectors.visits_of_day(request.user, start=start, end=end, as_rows=True)
            context["day_page"] = _page_rows(
                visits, request.GET.get("page"), RowScope.current(context["now"])
            )
            with_phones(context["day_page"])
        else:
            until = selectors.end_of_today()
            if chosen == "week":
                until += timedelta(days=WEEK_DAYS - 1)
            lists = selectors.agent_callbacks(request.user, until=until, as_rows=True)
            now = context["now"]
            scope = RowScope.current(now)
            context["mine"] = _page_rows(lists["mine"], request.GET.get("page"), scope)
            context["queue"] = _page_rows(lists["queue"], request.GET.get("qpage"), scope)
            # The two lists' phones in one read.
            with_phones(context["mine"], context["queue"])
            context["until"] = until
        return render(request, "followups/list.html", context)


# --- row actions (also used by the visit page) ----------------------------------------------------


class VisitNotReachedView(DeskView):
    def post(self, request, pk):
        visit = _visit_or_404(request.user, pk)
        default = reverse("followups:index")
        form = NotReachedForm(request.POST)
        if not form.is_valid():
            return _refused(request, visit.pk, _form_errors_text(form), default=default)
        try:
            visit = services.visit_not_reached(
                by=request.user,
                visit_id=visit.pk,
                version=form.cleaned_data["version"],
                note=form.cleaned_data["note"],
            )
        except ConflictError as exc:
            return _refused(request, visit.pk, _conflict_text(exc), default=default, status=409)
        except DomainError as exc:
            return _refused(request, visit.pk, str(exc.message), default=default)
        if visit.status == VisitStatus.MISSED:
            text = _(
                "%(ref)s: not reached after %(n)d attempts, so it is now missed; "
                "your managers were told."
            ) % {"ref": visit.reference, "n": visit.attempts}
        else:
            text = _("%(ref)s: not reached. Next attempt %(when)s.") % {
                "ref": visit.reference,
                "when": timezone.localtime(visit.due_at).strftime("%Y-%m-%d %H:%M"),
            }
        return _done(request, visit.pk, text, default=default)


class VisitOutcomeView(DeskView):
    """ "Reached": GET opens the small form inside the row (htmx) or goes to the visit page's full
    form; POST records the outcome."""

    def get(self, request, pk):
        visit = _visit_or_404(request.user, pk)
        if not _is_htmx(request):
            return redirect(f"{visit.get_absolute_url()}#outcome")
        if request.GET.get("close"):
            return _row(request, visit.pk, visit=visit)
        form = OutcomeForm(initial=_outcome_initial(visit), auto_id=_inline_ids(visit.pk))
        # Opened by a click: the cursor goes where the agent types first.
        form.fields["reached_person"].widget.attrs["autofocus"] = True
        return _row(request, visit.pk, form=form, visit=visit)

    def post(self, request, pk):
        visit = _visit_or_404(request.user, pk)
        form = OutcomeForm(
            request.POST, auto_id=_inline_ids(visit.pk) if _is_htmx(request) else "id_%s"
        )
        status = 400
        if form.is_valid():
            try:
                visit = services.visit_complete(
                    by=request.user, visit_id=visit.pk, **form.service_kwargs()
                )
            except ConflictError as exc:
                form.add_error(None, _conflict_text(exc))
                # The form keeps the input and now carries the current version: saving again
                # deliberately records this outcome over the other person's change.
                form.data = form.data.copy()
                form.data["version"] = exc.current
                status = 409
                if not _is_htmx(request):
                    return _detail_page(
                        request, pk, outcome_form=form, conflict=exc.changes, status=409
                    )
            except DomainError as exc:
                add_service_error(form, exc)
            else:
                text = _("%(ref)s: outcome saved.") % {"ref": visit.reference}
                if visit.new_issue_record_id or visit.new_need_record_id:
                    text += " " + _("A record was opened for what the customer raised.")
                return _done(request, visit.pk, text, default=visit.get_absolute_url())
        if _is_htmx(request):
            return _row(request, visit.pk, form=form, status=status)
        return _detail_page(request, pk, outcome_form=form, status=status)


class VisitAssignView(DeskView):
    def post(self, request, pk):
        visit = _visit_or_404(request.user, pk)
        default = visit.get_absolute_url()
        form = AssignForm(request.POST)
        if not form.is_valid():
            return _refused(request, visit.pk, _form_errors_text(form), default=default)
        assignee_id = form.cleaned_data["assignee"]
        try:
            services.visit_assign(
                by=request.user,
                visit_id=visit.pk,
                version=form.cleaned_data["version"],
                assignee_id=assignee_id,
            )
        except ConflictError as exc:
            return _refused(request, visit.pk, _conflict_text(exc), default=default, status=409)
        except DomainError as exc:
            return _refused(request, visit.pk, str(exc.message), default=default)
        if assignee_id == request.user.pk:
            text = _("%(ref)s is yours now.") % {"ref": visit.reference}
        elif assignee_id is None:
            text = _("%(ref)s is back in the department's queue.") % {"ref": visit.reference}
        else:
            text = _("%(ref)s: assignment saved.") % {"ref": visit.reference}
        return _done(request, visit.pk, text, default=default)


# --- the visit page -------------------------------------------------------------------------------


def _detail_page(
    request,
    pk,
    *,
    outcome_form=None,
    not_reached_form=None,
    reschedule_form=None,
    cancel_form=None,
    conflict=None,
    status=200,
):
    visit = _visit_or_404(request.user, pk)
    now = timezone.now()
    labels = dict(VisitStatus.choices)
    log = [
        {
            "at": change.at,
            "by": change.by,
            "from": labels.get(change.from_state, change.from_state),
            "to": labels.get(change.to_state, change.to_state),
            "reason": change.reason,
        }
        for change in status_changes(visit)
    ]
    if reschedule_form is None:
        reschedule_form = RescheduleForm(
            initial={"version": visit.version, "due_at": max(visit.due_at, now)}
        )
    # The browser's picker offers only times inside the window; the service checks it again.
    reschedule_form.fields["due_at"].widget.attrs.update(
        min=timezone.localtime(now).strftime(DATETIME_LOCAL),
        max=timezone.localtime(visit.window_end).strftime(DATETIME_LOCAL),
    )
    return render(
        request,
        "followups/detail.html",
        {
            "visit": visit,
            "customer": visit.customer,
            "timing": visit.timing(now),
            "attempts": list(visit.attempt_log.all()),
            "status_log": log,
            "workable": visit.status in (VisitStatus.SCHEDULED, VisitStatus.MISSED),
            "scheduled": visit.status == VisitStatus.SCHEDULED,
            "outcome_form": outcome_form or OutcomeForm(initial=_outcome_initial(visit)),
            "not_reached_form": not_reached_form
            or NotReachedForm(initial={"version": visit.version}),
            "reschedule_form": reschedule_form,
            "cancel_form": cancel_form or CancelForm(initial={"version": visit.version}),
            "conflict": conflict,
            "next": visit.get_absolute_url(),
            **_assignment(request.user, visit),
        },
        status=status,
    )


class CallbackDetailView(DeskView):
    section = "callbacks"

    def get(self, request, pk):
        return _detail_page(request, pk)


class VisitRescheduleView(DeskView):
    def post(self, request, pk):
        visit = _visit_or_404(request.user, pk)
        form = RescheduleForm(request.POST)
        if form.is_valid():
            try:
                visit = services.visit_reschedule(
                    by=request.user,
                    visit_id=visit.pk,
                    version=form.cleaned_data["version"],
                    due_at=form.cleaned_data["due_at"],
                    reason=form.cleaned_data["reason"],
                )
            except ConflictError as exc:
                form.add_error(None, _conflict_text(exc))
                form.data = form.data.copy()
                form.data["version"] = exc.current
                return _detail_page(
                    request, pk, reschedule_form=form, conflict=exc.changes, status=409
                )
            except DomainError as exc:
                add_service_error(form, exc)
            else:
                messages.success(
                    request,
                    _("%(ref)s is now due %(when)s.")
                    % {
                        "ref": visit.reference,
                        "when": timezone.localtime(visit.due_at).strftime("%Y-%m-%d %H:%M"),
                    },
                )
                return redirect(visit)
        return _detail_page(request, pk, reschedule_form=form, status=400)


class VisitCancelView(DeskView):
    def post(self, request, pk):
        visit = _visit_or_404(request.user, pk)
        form = CancelForm(request.POST)
        if form.is_valid():
            try:
                visit = services.visit_cancel(
                    by=request.user,
                    visit_id=visit.pk,
                    version=form.cleaned_data["version"],
                    reason=form.cleaned_data["reason"],
                )
            except ConflictError as exc:
                form.add_error(None, _conflict_text(exc))
                form.data = form.data.copy()
                form.data["version"] = exc.current
                return _detail_page(request, pk, cancel_form=form, conflict=exc.changes, status=409)
            except DomainError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, _("%(ref)s was cancelled.") % {"ref": visit.reference})
                return redirect(visit)
        return _detail_page(request, pk, cancel_form=form, status=400)


# --- a visit made by hand -------------------------------------------------------------------------


def _int_param(raw) -> int | None:
    text = str(raw or "").strip()
    return int(text) if text.isdigit() and len(text) < 19 else None


class CallbackCreateView(DeskView):
    section = "callbacks"

    def _departments(self, user):
        if user_role(user) == Role.ADMINISTRATOR:
            return Department.objects.filter(is_active=True).order_by("name_en")
        return Department.objects.filter(is_active=True, pk__in=user_department_ids(user)).order_by(
            "name_en"
        )

    def _form(self, request, data=None, initial=None):
        departments = self._departments(request.user)
        return VisitCreateForm(
            data,
            initial=initial,
            departments=departments,
            assignable=department_assignable_users(departments.values("pk")),
        )

    def _record(self, request, raw, customer):
        """The record the visit follows: one the user may see, of this customer; else 404."""
        if raw in (None, ""):
            return None
        pk = _int_param(raw)
        record = (
            record_visible(request.user).filter(pk=pk, customer=customer).first() if pk else None
        )
        if record is None:
            raise Http404(_("No such service record for this customer."))
        return record

    def get(self, request, form=None, status=200):
        source = form.data if form is not None else request.GET
        customer = None
        raw_customer = source.get("customer")
        if raw_customer not in (None, ""):
            pk = _int_param(raw_customer)
            customer = Customer.objects.filter(pk=pk, is_archived=False).first() if pk else None
            if customer is None:
                raise Http404(_("No such customer."))
        record = None
        if customer is not None:
            record = self._record(
                request, source.get("source_record") or source.get("record"), customer
            )
        if form is None and customer is not None:
            departments = self._departments(request.user)
            lead = record.lead_department_id if record else None
            department = departments.filter(pk=lead).first() if lead else None
            next_hour = timezone.localtime().replace(minute=0, second=0, microsecond=0)
            form = self._form(
                request,
                initial={
                    "customer": customer.pk,
                    "source_record": record.pk if record else None,
                    "purpose": "after_service" if record else "ad_hoc",
                    "department": department or departments.first(),
                    "assignee": request.user.pk,
                    "due_at": next_hour + timedelta(hours=1),
                },
            )
        q = request.GET.get("q", "").strip()
        matches = []
        if q and customer is None:
            matches = list(
                customer_search(customer_base(), q).order_by("name", "pk")[:CUSTOMER_MATCHES]
            )
        return render(
            request,
            "followups/create.html",
            {"form": form, "customer": customer, "record": record, "q": q, "matches": matches},
            status=status,
        )

    def post(self, request):
        form = self._form(request, request.POST)
        if not form.is_valid():
            return self.get(request, form=form, status=400)
        data = form.cleaned_data
        customer = Customer.objects.filter(pk=data["customer"], is_archived=False).first()
        record_id = data.get("source_record")
        if customer is not None and record_id:
            # Only a record the user may see; the service checks it is the customer's.
            self._record(request, str(record_id), customer)
        try:
            visit = services.visit_create(
                by=request.user,
                customer_id=data["customer"],
                due_at=data["due_at"],
                method=data["method"],
                purpose=data["purpose"],
                department_id=data["department"].pk,
                assignee_id=data["assignee"].pk if data["assignee"] else None,
                source_record_id=record_id,
                address=data["address"],
                notes=data["notes"],
            )
        except DomainError as exc:
            add_service_error(form, exc)
            return self.get(request, form=form, status=400)
        messages.success(request, _("Callback %(ref)s added.") % {"ref": visit.reference})
        return redirect(visit)


# --- the calendar ---------------------------------------------------------------------------------


def _month_shift(first: date, months: int) -> date:
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


class CallbackCalendarView(DeskView):
    section = "callbacks"
    # Beyond these a month is a typo, and a step past year 1 or 9999 could not be computed.
    YEARS = (2000, 2100)

    def get(self, request):
        form = MonthForm(request.GET or None)
        today = timezone.localdate()
        first = today.replace(day=1)
        error = ""
        if form.is_bound:
            if form.is_valid() and form.cleaned_data["month"]:
                month = form.cleaned_data["month"]
                if self.YEARS[0] <= month.year <= self.YEARS[1]:
                    first = month.replace(day=1)
                else:
                    error = _("Choose a month between %(a)d and %(b)d.") % {
                        "a": self.YEARS[0],
                        "b": self.YEARS[1],
                    }
            elif not form.is_valid():
                error = "; ".join(form.errors.get("month", []))
        following = _month_shift(first, 1)
        start, _end = day_bounds(first, first)
        end, _next = day_bounds(following, following)
        counts = selectors.calendar_counts(request.user, start=start, end=end)
        labels = dict(VisitStatus.choices)
        weeks = []
        for week in month_calendar.Calendar(firstweekday=0).monthdatescalendar(
            first.year, first.month
        ):
            cells = []
            for day in week:
                by_status = counts.get(day, {}) if day.month == first.month else {}
                cells.append(
                    {
                        "date": day,
                        "in_month": day.month == first.month,
                        "today": day == today,
                        "counts": [
                            {"status": s, "label": labels[s], "n": by_status[s]}
                            for s in (VisitStatus.SCHEDULED, VisitStatus.DONE, VisitStatus.MISSED)
                            if by_status.get(s)
                        ],
                        "total": sum(by_status.values()),
                    }
                )
            weeks.append(cells)
        return render(
            request,
            "followups/calendar.html",
            {
                "form": form,
                "error": error,
                "month": first,
                "previous": _month_shift(first, -1) if first.year > self.YEARS[0] else None,
                "following": following if following.year <= self.YEARS[1] else None,
                "weeks": weeks,
                "weekdays": weeks[0] if weeks else [],
                "month_total": sum(sum(c.values()) for c in counts.values()),
            },
        )


# --- the manager's view ---------------------------------------------------------------------------

RATES = ("on_time_rate", "reach_rate", "issue_find_rate")


def _with_percents(row: dict) -> dict:
    return {
        **row,
        **{f"{key}_pct": None if row.get(key) is None else round(row[key] * 100) for key in RATES},
    }


class CallbackManagerView(DeskView):
    """Overdue and missed visits per agent and per department, with the three rates."""

    roles = (Role.MANAGER, Role.ADMINISTRATOR)
    section = "callbacks"

    def get(self, request):
        form = PeriodForm(request.GET or None)
        today = timezone.localdate()
        since_day, until_day = today - timedelta(days=DEFAULT_PERIOD_DAYS - 1), today
        invalid = form.is_bound and not form.is_valid()
        if form.is_bound and not invalid:
            since_day = form.cleaned_data["since"] or since_day
            until_day = form.cleaned_data["until"] or until_day
            if until_day < since_day:
                # Only one end was given and it crosses the default: a period of that one day.
                since_day = until_day = form.cleaned_data["since"] or form.cleaned_data["until"]
        if not form.is_bound:
            form = PeriodForm(initial={"since": since_day, "until": until_day})
        query = request.GET.copy()
        query.pop("page", None)
        context = {
            "filter": form,
            "invalid_filter": invalid,
            "since": since_day,
            "until": until_day,
            "query": query.urlencode(),
            "now": timezone.now(),
        }
        if invalid:
            return render(request, "followups/manager.html", context, status=400)
        since, _x = day_bounds(since_day, since_day)
        _y, until = day_bounds(until_day, until_day)
        now = context["now"]
        user = request.user
        rates = selectors.visit_rates_breakdown(user, since=since, until=until, now=now)
        by_agent = [
            {
                **_with_percents(row),
                "name": display_name(_Named(row)) if row["assignee_id"] else "",
            }
            for row in rates["by_assignee"]
        ]
        by_department = [
            {
                **_with_percents(row),
                "name": Department(
                    name_en=row["department__name_en"], name_zh=row["department__name_zh"]
                ).name,
            }
            for row in rates["by_department"]
        ]
        late = selectors.visits_late(user, since=since, until=until, now=now, as_rows=True)
        page = _page_rows(late, request.GET.get("page"), RowScope.current(now))
        with_phones(page)
        context.update(
            overall=_with_percents(rates["overall"]),
            by_agent=by_agent,
            by_department=by_department,
            page=page,
            next=request.get_full_path(),
        )
        return render(request, "followups/manager.html", context)


class _Named:
    """The few user fields a rates row carries, shaped for display_name (no second query)."""

    def __init__(self, row: dict):
        self.first_name = row["assignee__first_name"] or ""
        self.last_name = row["assignee__last_name"] or ""
        self.username = row["assignee__username"] or ""

    def get_username(self) -> str:
        return self.username
