"""The manager's dashboard (/dashboard/), the agent's own (/dashboard/me/) and their CSV exports:
thin shells over kpis (figures), links (drill-down), charts (drawings) and exports (tables)."""

import io
from urllib.parse import urlencode

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customers.csvio import write_csv
from servicedesk.audit import selectors as audit_selectors
from servicedesk.core.roles import Role, is_manager_or_admin
from servicedesk.core.views import DeskView
from servicedesk.securitylog import services as securitylog
from servicedesk.securitylog.models import EventKind
from tickets.complaints.rootcause import drawing

from . import charts, exports, kpis, links
from .forms import filter_form

MANAGERS = (Role.MANAGER, Role.ADMINISTRATOR)


def _tables(*, fixed_agent: bool):
    """The tables a dashboard shows and exports: the agent's page has no desk-wide breakdowns."""
    return exports.AGENT_TABLES if fixed_agent else exports.TABLES


GROUPS = {
    "satisfaction": gettext_lazy("Satisfaction"),
    "complaints": gettext_lazy("Complaints"),
    "records": gettext_lazy("Service records"),
    "callbacks": gettext_lazy("Callbacks"),
    "calls": gettext_lazy("Calls"),
}


def tiles(report: kpis.Report, *, manager: bool) -> list[dict]:
    groups: dict[str, list] = {}
    for figure in report.figures:
        group = figure.definition.group
        href = links.tile(figure.key, group, report.filters, manager=manager)
        groups.setdefault(group, []).append({"figure": figure, "href": href})
    return [{"key": key, "label": GROUPS[key], "tiles": items} for key, items in groups.items()]


def _step_bars(report: kpis.Report) -> list:
    items = [
        {**s, "href": links.complaints(report.filters, step=s["step"])}
        for s in report.complaints_by_step
    ]
    return charts.linked_rows(
        items, uid="steps", title=_("Complaints by step"), value="count",
        text=lambda s: str(s["count"]),
    )  # fmt: skip


def _ageing_bars(report: kpis.Report) -> list:
    href = links.backlog(report.filters)
    items = [{**a, "label": exports.age_label(a), "href": href} for a in report.ageing]
    return charts.linked_rows(
        items, uid="ageing", title=_("Open records by age"), value="count",
        text=lambda a: str(a["count"]),
    )  # fmt: skip


def _chart_context(report: kpis.Report) -> dict:
    f = report.filters
    departments = [
        {**d, "href": links.records(f, department=d["department_id"])} for d in report.by_department
    ]
    stages = [{**s, "href": links.records(f, stage=s["stage"])} for s in report.by_stage]
    funnel = [
        {**s, "href": links.answers(f, stage=s["stage"])}
        for s in report.by_stage
        if s["kept"] is not None
    ]
    bones = drawing.shares([{**b, "href": links.bone(f, b["bone_id"])} for b in report.fishbone])
    period = f"{f.period.since.isoformat()} – {f.period.until.isoformat()}"
    return {
        "department_bars": charts.linked_rows(
            departments, uid="departments", title=_("Records by department"), value="records",
            text=lambda d: str(d["records"]),
        ),
        "stage_bars": charts.linked_rows(
            stages, uid="stages", title=_("Records by stage"), value="records",
            text=lambda s: str(s["records"]),
        ),
        "funnel_bars": charts.linked_rows(
            funnel, uid="funnel", title=_("The satisfaction chain by stage"), value="kept",
            text=lambda s: _("%(kept)s kept (stage CSAT %(csat)s)")
            % {"kept": charts.percent(s["kept"]), "csat": charts.percent(s["csat"])},
            tone=lambda s: "weakest" if s["weakest"] else "",
            note=_("weakest link"),
        ),
        "trend_svg": charts.trend(
            report.weeks, title=_("Records per week and CSAT"), count_label=_("Records"),
            share_label=_("CSAT"),
        ),
        "week_rows": [
            {**w, "href": links.week(f, w["start"]), "csat_text": charts.percent(w["csat"])}
            for w in report.weeks
        ],
        "fishbone_rows": bones,
        "fishbone_total": sum(b["count"] for b in bones),
        "fishbone_drawing": drawing.fishbone(
            bones, head=[_("Complaints closed"), *drawing.wrap(period, lines=2)]
        ),
        "chain": report.figure("chain_total"),
    }  # fmt: skip


class DashboardView(DeskView):
    """Figures beside the previous period's, charts, drill-down and exports, for managers."""

    roles = MANAGERS
    section = "dashboard"
    template_name = "dashboard/index.html"
    fixed_agent = False
    export_url = "dashboard:export"

    def get(self, request):
        form = filter_form(request.GET, viewer=request.user, fixed_agent=self.fixed_agent)
        context = {"filter": form, "reset": request.path}
        if not form.is_valid():
            # Nothing is counted for filters that cannot be used: the form says what to correct.
            return render(request, self.template_name, context, status=400)
        filters = form.filters()
        report = kpis.report(filters, request.user, full=not self.fixed_agent)
        query = filters.as_query()
        if self.fixed_agent:
            query.pop("agent", None)
        tables = _tables(fixed_agent=self.fixed_agent)
        context.update(
            report=report,
            groups=tiles(report, manager=is_manager_or_admin(request.user)),
            step_bars=_step_bars(report),
            ageing_bars=_ageing_bars(report),
            export=self._exports(tables, urlencode(query)),
            tables={name: exports.TABLES[name](report) for name in tables},
            **self.page_context(request, report),
        )
        return render(request, self.template_name, context)

    def _exports(self, tables, query: str) -> dict:
        return {name: f"{reverse(self.export_url, args=[name])}?{query}" for name in tables}

    def page_context(self, request, report) -> dict:
        f = report.filters
        return {
            **_chart_context(report),
            "averages": audit_selectors.agent_averages(
                f.period.since,
                f.period.until,
                department_ids=[f.department_id] if f.department_id else None,
            ),
        }


class AgentDashboardView(DashboardView):
    """My results (the same figures, for the records, complaints, callbacks and answers that
    name me), my reviews, and the praise that names me."""

    roles = ()
    template_name = "dashboard/me.html"
    fixed_agent = True
    export_url = "dashboard:me_export"

    def page_context(self, request, report) -> dict:
        return {
            "praise": kpis.praise_for(request.user, report.filters),
            "reviews": audit_selectors.reviews_for(request.user),
        }


class ExportView(DeskView):
    """One of the dashboard's tables as CSV, for the same filters."""

    roles = MANAGERS
    section = "dashboard"
    fixed_agent = False

    def get(self, request, table: str):
        if table not in _tables(fixed_agent=self.fixed_agent):
            raise Http404(_("No such table."))
        form = filter_form(request.GET, viewer=request.user, fixed_agent=self.fixed_agent)
        if not form.is_valid():
            messages = "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items())
            return HttpResponse(messages, status=400, content_type="text/plain; charset=utf-8")
        # The breakdowns and the charts' data only for a table made of them: the figures, steps
        # and ageing tables need neither.
        full = table not in exports.AGENT_TABLES
        report = kpis.report(form.filters(), request.user, full=full)
        out = io.StringIO()
        write_csv(exports.TABLES[table](report), out)
        since, until = report.filters.period.since, report.filters.period.until
        response = HttpResponse(
            "\ufeff" + out.getvalue(), content_type="text/csv; charset=utf-8"
        )  # a BOM, so Excel reads the Chinese names as UTF-8
        response["Content-Disposition"] = (
            f'attachment; filename="dashboard-{table}-{since.isoformat()}-{until.isoformat()}.csv"'
        )
        securitylog.record(
            EventKind.EXPORT,
            request=request,
            user=request.user,
            what=f"dashboard_{table}",
            since=since.isoformat(),
            until=until.isoformat(),
        )
        return response


class AgentExportView(ExportView):
    roles = ()
    fixed_agent = True
