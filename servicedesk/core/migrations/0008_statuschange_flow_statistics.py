"""Extended statistics on the status log's (content_type, field) pair (PostgreSQL only).

Only complaints log a "step", so the two columns are one fact, but the planner multiplies their
selectivities: at 1M records it expected 8k of the complaints' 192k step changes and walked
statuschange_flow_idx for a dashboard's 4,000 complaints instead of looking each up by
statuschange_object_idx (86 ms against 14). With the dependency known, the estimate is right."""

from django.db import migrations

from servicedesk.core.migration_ops import postgresql_only

FORWARD = [
    "CREATE STATISTICS IF NOT EXISTS statuschange_flow_stats (dependencies, mcv) "
    "ON content_type_id, field FROM core_statuschange",
    "ANALYZE core_statuschange",  # a sample: seconds even at millions of rows
]
BACKWARD = ["DROP STATISTICS IF EXISTS statuschange_flow_stats"]


class Migration(migrations.Migration):
    dependencies = [("core", "0007_apitoken_addresses")]

    operations = [postgresql_only(FORWARD, BACKWARD)]
