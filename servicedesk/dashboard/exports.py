"""The dashboard's tables as rows: the CSV exports write them (customers.csvio.write_csv, which
makes formula-like cells inert) and the page's tables show the same cells, so the two agree."""

from django.utils.translation import gettext as _

from .kpis import Report, Unit, shown


def _hours(value) -> str:
    return shown(value, Unit.HOURS)


def _rate(value) -> str:
    return shown(value, Unit.RATE)


def _raw(value) -> str:
    return "" if value is None else str(value)


def figures(report: Report) -> list[list]:
    rows = [[_("Key"), _("Figure"), _("Value"), _("Shown"), _("Previous period"),
             _("Previous, shown"), _("Change"), _("Note"), _("Definition")]]  # fmt: skip
    rows += [
        [
            f.key,
            str(f.definition.label),
            _raw(f.value),
            f.text,
            _raw(f.previous) if f.compared else "",
            f.previous_text,
            f.change_text,
            str(f.definition.note),
            str(f.definition.definition),
        ]
        for f in report.figures
    ]
    return rows


def steps(report: Report) -> list[list]:
    rows = [[_("Step"), _("Complaints now on it"), _("Average time in the step")]]
    rows += [
        [s["label"], s["count"], _hours(s["average_hours"])] for s in report.complaints_by_step
    ]
    return rows


def ageing(report: Report) -> list[list]:
    rows = [[_("Age"), _("Open records")]]
    rows += [[age_label(a), a["count"]] for a in report.ageing]
    return rows


def departments(report: Report) -> list[list]:
    rows = [[_("Department"), _("Records"), _("Complaints"), _("CSAT"), _("Weakest link")]]
    rows += [
        [d["label"], d["records"], d["complaints"], _rate(d["csat"]),
         _("yes") if d["weakest"] else ""]
        for d in report.by_department
    ]  # fmt: skip
    return rows


def stages(report: Report) -> list[list]:
    rows = [[_("Stage"), _("Records"), _("Complaints"), _("CSAT"), _("Chain so far"),
             _("Weakest link")]]  # fmt: skip
    rows += [
        [s["label"], s["records"], s["complaints"], _rate(s["csat"]), _rate(s["kept"]),
         _("yes") if s["weakest"] else ""]
        for s in report.by_stage
    ]  # fmt: skip
    return rows


def weeks(report: Report) -> list[list]:
    rows = [[_("Week of"), _("Records"), _("Complaints"), _("CSAT")]]
    rows += [
        [w["start"].isoformat(), w["records"], w["complaints"], _rate(w["csat"])]
        for w in report.weeks
    ]
    return rows


def fishbone(report: Report) -> list[list]:
    rows = [[_("Bone"), _("Complaints closed with this cause")]]
    rows += [[b["label"], b["count"]] for b in report.fishbone]
    return rows


def age_label(bucket: dict) -> str:
    if bucket["high"] is None:
        return _("%(low)d days or more") % {"low": bucket["low"]}
    return _("%(low)d–%(high)d days") % {"low": bucket["low"], "high": bucket["high"]}


TABLES = {
    "figures": figures,
    "steps": steps,
    "ageing": ageing,
    "departments": departments,
    "stages": stages,
    "weeks": weeks,
    "fishbone": fishbone,
}
# Tables the agent's own page shows (no breakdowns across the desk).
AGENT_TABLES = ("figures", "steps", "ageing")
