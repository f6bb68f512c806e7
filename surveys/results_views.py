"""The results pages: every template's headline figures, one template's results with charts, and
its per-question figures as CSV. Thin shells over surveys.results (figures) and surveys.charts
(drawings).

For managers and administrators only: agents get 403. The figures are the desk's as a whole (a
template's CSAT is one number for everyone who reads it), so they are not narrowed to the reader's
departments; the per-department satisfaction is shown on the page instead.
"""

import io
from datetime import timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customers.csvio import write_csv
from servicedesk.core.forms import DeskDateField
from servicedesk.core.roles import Role
from servicedesk.core.views import DeskView
from servicedesk.securitylog import services as securitylog
from servicedesk.securitylog.models import EventKind

from . import charts, results, selectors
from .models import Kind, SurveyTemplate

MANAGERS = (Role.MANAGER, Role.ADMINISTRATOR)
DASH = "—"


# --- the period -----------------------------------------------------------------------------------


class PeriodForm(forms.Form):
    """?from=YYYY-MM-DD&to=YYYY-MM-DD; either end may be left out. `from` is a Python keyword,
    hence the fields added in __init__."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["from"] = DeskDateField(label=gettext_lazy("From"), required=False)
        self.fields["to"] = DeskDateField(label=gettext_lazy("To (inclusive)"), required=False)

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        since, until = data.get("from"), data.get("to")
        default = results.Period.default()
        until = until or max(default.until, since or default.until)
        since = since or until - timedelta(days=results.DEFAULT_PERIOD_DAYS - 1)
        if until < since:
            raise ValidationError(_("The end of the period is before its start."))
        if (until - since).days >= results.MAX_PERIOD_DAYS:
            raise ValidationError(
                _("Choose at most %(n)d days; compare longer periods one after another.")
                % {"n": results.MAX_PERIOD_DAYS}
            )
        data["period"] = results.Period(since, until)
        return data


def period_of(request) -> tuple[PeriodForm, results.Period | None]:
    """The period asked for (the last 90 days when none is); None when the input cannot be used."""
    if not any(request.GET.get(key) for key in ("from", "to")):
        period = results.Period.default()
        return PeriodForm(initial={"from": period.since, "to": period.until}), period
    form = PeriodForm(request.GET)
    return form, form.cleaned_data["period"] if form.is_valid() else None


# --- figures as the page shows them ---------------------------------------------------------------


def percent(share: float | None) -> str:
    return DASH if share is None else f"{share * 100:.0f}%"


def signed(nps: float | None) -> str:
    return DASH if nps is None else f"{nps:+.0f}"


def average(value: float | None) -> str:
    return DASH if value is None else f"{value:.2f}"


def headline_figures(h: results.Headline) -> list[dict]:
    return [
        {"label": _("Answers"), "now": str(h.scores.answers), "before": str(h.previous.answers)},
        {"label": _("Response rate"), "now": percent(h.rate), "before": percent(h.previous_rate)},
        {"label": _("CSAT"), "now": percent(h.scores.csat), "before": percent(h.previous.csat)},
        {"label": _("NPS"), "now": signed(h.scores.nps), "before": signed(h.previous.nps)},
    ]


def split_figures(h: results.Headline) -> list[dict]:
    """Customers' own answers and those entered by staff on a call, apart."""
    return [
        {
            "label": label,
            "answers": s.answers,
            "csat": percent(s.csat),
            "nps": signed(s.nps),
        }
        for label, s in (
            (_("Answered by the customers themselves"), h.own),
            (_("Entered by staff on a call"), h.staff),
        )
    ]


def _distribution_charts(d: results.Distribution) -> dict:
    def tone_rating(value):
        return "high" if value >= 4 else "low" if value <= 2 else "mid"

    def tone_nps(value):
        return "high" if value >= 9 else "low" if value <= 6 else "mid"

    rating = [charts.Bar(str(v), n, str(n), tone_rating(v)) for v, n in d.rating.items()]
    nps = [charts.Bar(str(v), n, str(n), tone_nps(v)) for v, n in d.nps.items()]
    return {
        "rating_svg": charts.columns(
            rating,
            uid="dist-rating",
            title=_("Main rating: answers per score (1–5)"),
            desc=", ".join(f"{b.label}: {b.text}" for b in rating),
        )
        if d.rated
        else None,
        "nps_svg": charts.columns(
            nps,
            uid="dist-nps",
            title=_("Likelihood to recommend: answers per score (0–10)"),
            desc=", ".join(f"{b.label}: {b.text}" for b in nps),
        )
        if d.nps_answers
        else None,
        "rating_rows": [
            {
                "value": b.label,
                "count": b.value,
                "share": percent(selectors.share(b.value, d.rated)),
            }
            for b in rating
        ],
        "nps_rows": [
            {
                "value": b.label,
                "count": b.value,
                "share": percent(selectors.share(b.value, d.nps_answers)),
            }
            for b in nps
        ],
    }


def _trend_chart(weeks: list[results.Week]) -> str | None:
    if not any(w.answers for w in weeks):
        return None
    points = [charts.Point(f"{w.start.month}/{w.start.day}", w.answers, w.csat) for w in weeks]
    return charts.trend(
        points,
        uid="trend",
        title=_("Answers and CSAT per week"),
        desc="; ".join(f"{w.start.isoformat()}: {w.answers} / {percent(w.csat)}" for w in weeks),
        count_label=_("Answers"),
        share_label=_("CSAT"),
    )


def _question_chart(r: results.QuestionResult) -> str | None:
    q = r.question
    if not r.answers or q.kind == Kind.TEXT:
        return None
    if r.is_number:
        scale = 5 if q.kind == Kind.RATING else 10
        bars = [charts.Bar(_("Average"), r.average, f"{average(r.average)} / {scale}")]
    else:
        scale = 1
        bars = [charts.Bar(o.label, o.share, f"{percent(o.share)} ({o.count})") for o in r.options]
    return charts.rows(
        bars,
        uid=f"q{q.pk}",
        title=q.text,
        desc="; ".join(f"{b.label}: {b.text}" for b in bars),
        scale=scale,
    )


def _chain_chart(links: list[results.Link], uid: str, title: str) -> str | None:
    if not links:
        return None
    bars = [
        charts.Bar(link.label, link.csat, percent(link.csat), "weakest" if link.weakest else "")
        for link in links
    ]
    return charts.rows(
        bars,
        uid=uid,
        title=title,
        desc="; ".join(f"{b.label}: {b.text}" for b in bars),
        note=_("weakest link"),
    )


# --- the pages ------------------------------------------------------------------------------------


class ResultsOverviewView(DeskView):
    roles = MANAGERS
    section = "surveys"

    def get(self, request):
        form, period = period_of(request)
        context = {"filter": form, "period": period}
        if period is None:
            return render(request, "surveys/results_overview.html", context, status=400)
        lines = results.overview(period)
        context["lines"] = [
            {
                "template": line.template,
                "answers": line.scores.answers,
                "answers_before": line.previous.answers,
                "csat": percent(line.scores.csat),
                "csat_before": percent(line.previous.csat),
                "nps": signed(line.scores.nps),
                "nps_before": signed(line.previous.nps),
                "rate": percent(line.rate),
                "rate_before": percent(line.previous_rate),
            }
            for line in lines
        ]
        context["previous"] = period.previous()
        context["query"] = _period_query(period)
        return render(request, "surveys/results_overview.html", context)


def _period_query(period: results.Period) -> str:
    return f"from={period.since.isoformat()}&to={period.until.isoformat()}"


class ResultsView(DeskView):
    roles = MANAGERS
    section = "surveys"

    def get(self, request, template_id):
        template = get_object_or_404(SurveyTemplate, pk=template_id)
        form, period = period_of(request)
        context = {"template": template, "filter": form, "period": period}
        if period is None:
            return render(request, "surveys/results.html", context, status=400)
        r = results.template_results(template, period)
        chain = r.chain
        context.update(
            {
                "r": r,
                "previous": period.previous(),
                "query": _period_query(period),
                "figures": headline_figures(r.headline),
                "split": split_figures(r.headline),
                **_distribution_charts(r.headline.distribution),
                "trend_svg": _trend_chart(r.trend),
                "weeks": [
                    {"start": w.start, "answers": w.answers, "csat": percent(w.csat)}
                    for w in r.trend
                ],
                "aims": [
                    {
                        "aim": a.aim,
                        "label": a.label,
                        "questions": [
                            {
                                "r": q,
                                "svg": _question_chart(q),
                                "average": average(q.average),
                                "options": [
                                    {"label": o.label, "count": o.count, "share": percent(o.share)}
                                    for o in q.options
                                ],
                            }
                            for q in a.questions
                        ],
                    }
                    for a in r.aims
                ],
                "needs": (
                    {
                        key: {"index": percent(n.index), "answers": n.answers}
                        for key, n in r.needs.items()
                    }
                    if r.needs
                    else None
                ),
                "chain_total": percent(chain.total),
                "weakest": (
                    {"label": chain.weakest.label, "csat": percent(chain.weakest.csat)}
                    if chain.weakest
                    else None
                ),
                "stages_svg": _chain_chart(
                    chain.stages, "chain-stages", _("Satisfaction by stage")
                ),
                "departments_svg": _chain_chart(
                    chain.departments, "chain-departments", _("Satisfaction by department")
                ),
                "stages": [
                    {"label": x.label, "csat": percent(x.csat), "weakest": x.weakest}
                    for x in chain.stages
                ],
                "departments": [
                    {"label": x.label, "csat": percent(x.csat), "weakest": x.weakest}
                    for x in chain.departments
                ],
            }
        )
        return render(request, "surveys/results.html", context)


class ResultsCsvView(DeskView):
    """The per-question figures of one template over the period, as CSV: every cell goes through
    customers.csvio's formula-injection guard (a question or option starting with = + - @ is
    written as text)."""

    roles = MANAGERS
    section = "surveys"

    def get(self, request, template_id):
        template = get_object_or_404(SurveyTemplate, pk=template_id)
        form, period = period_of(request)
        if period is None:
            errors = "; ".join(str(e) for errs in form.errors.values() for e in errs)
            return HttpResponse(errors, status=400, content_type="text/plain; charset=utf-8")
        out = io.StringIO()
        # A BOM so that Excel reads the Chinese text as UTF-8.
        out.write("\ufeff")
        write_csv(results.csv_rows(results.question_results(template.pk, period)), out)
        response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
        name = f"survey-results-{template.key}-{period.since}-{period.until}.csv"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        securitylog.record(
            EventKind.EXPORT,
            request=request,
            user=request.user,
            what="survey_results",
            template=template.pk,
            since=str(period.since),
            until=str(period.until),
        )
        return response
