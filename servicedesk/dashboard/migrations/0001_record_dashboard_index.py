"""A covering index for the dashboards' scans of the records (PostgreSQL only; SQLite has no
INCLUDE and the demo's few rows need none).

The dashboard reads every visible record created in two periods for the figures that cannot be
summed from daily parts (distinct customers, the time percentiles) and groups the current period
for its charts. record_dashboard_idx holds each column those reads and their filters touch, so
they are index-only scans of a narrow index instead of visits to ~40k heap pages at 1M records.
The index lives here, beside its only reader; CONCURRENTLY keeps the table writable meanwhile.
"""

from django.db import migrations

from servicedesk.core.migration_ops import postgresql_only

COLUMNS = (
    "audience, customer_id, id, stage, lead_department_id, assignee_id, category_id, "
    "first_responded_at, first_response_due, resolved_at, resolution_due"
)
FORWARD = [
    "CREATE INDEX CONCURRENTLY IF NOT EXISTS record_dashboard_idx "
    f"ON tickets_servicerecord (created_at) INCLUDE ({COLUMNS})"
]
BACKWARD = ["DROP INDEX CONCURRENTLY IF EXISTS record_dashboard_idx"]


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [("tickets", "0007_root_cause")]

    operations = [postgresql_only(FORWARD, BACKWARD)]
