"""The report's queries are bounded whatever the data: each table is read once for both periods
(records with their complaints, each period's actions, the step log), never once per row."""

from datetime import timedelta

from servicedesk.dashboard import kpis
from surveys.results import Period

from .conftest import TODAY

LAST_90 = Period(TODAY - timedelta(days=89), TODAY)
MOST = 30  # the figures of both periods, the tables, the charts, the surveys' sums and splits


def test_the_full_report_runs_a_bounded_number_of_queries(
    generated, frozen, django_assert_max_num_queries
):
    f = kpis.Filters(period=LAST_90)
    kpis.report(f, generated.administrator)  # content types and the like cached, as on a page
    with django_assert_max_num_queries(MOST):
        report = kpis.report(f, generated.administrator)
    assert report.figure("complaints").value > 0
    assert sum(w["records"] for w in report.weeks) == report.figure("records").value
