"""/api/v1/kpis/: the dashboard's figures for the same filters, from the same function
(kpis.report), so the API, the page and the CSV agree."""

from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import kpis
from ..forms import FilterForm
from .serializers import KpiQueryInputSerializer, KpiReportSerializer


def report_data(report: kpis.Report) -> dict:
    f = report.filters
    previous = f.period.previous()
    return {
        "filters": {
            "period": {
                "since": f.period.since,
                "until": f.period.until,
                "previous_since": previous.since,
                "previous_until": previous.until,
            },
            "department": f.department_id,
            "agent": f.agent_id,
            "stage": f.stage,
            "category": f.category_id,
            "tier": f.tier,
        },
        "figures": [
            {
                "key": fig.key,
                "group": fig.definition.group,
                "label": str(fig.definition.label),
                "unit": fig.definition.unit,
                "value": fig.value,
                "shown": fig.text,
                "previous": fig.previous if fig.compared else None,
                "previous_shown": fig.previous_text,
                "change": fig.change,
                "note": str(fig.definition.note),
                "definition": str(fig.definition.definition),
            }
            for fig in report.figures
        ],
        "complaints_by_step": report.complaints_by_step,
        "ageing": report.ageing,
        "by_department": report.by_department,
        "by_stage": report.by_stage,
        "weeks": report.weeks,
        "fishbone": report.fishbone,
    }


class KpiView(APIView):
    """The dashboard's KPIs over a period (the last 90 days by default), each beside the as-long
    period before, with the dashboard's tables. Every desk role may ask; an agent who names no
    department gets their own results, and may name only themselves and their departments."""

    @extend_schema(parameters=[KpiQueryInputSerializer], responses=KpiReportSerializer)
    def get(self, request):
        KpiQueryInputSerializer(data=request.query_params).is_valid(raise_exception=True)
        form = FilterForm(request.query_params, viewer=request.user)
        if not form.is_valid():
            raise ValidationError(
                {k if k != "__all__" else "non_field_errors": v for k, v in form.errors.items()}
            )
        report = kpis.report(form.filters(), request.user)
        return Response(KpiReportSerializer(report_data(report)).data)
