"""PostgreSQL-only search indexes (skipped on SQLite, which has no equivalent).

customer_name_trgm_idx: GIN trigram index on UPPER(name), which serves Django's
`name__icontains` (it compiles to UPPER(name) LIKE UPPER('%…%')) for the customer list search.
"""

from django.db import migrations

from servicedesk.core.migration_ops import postgresql_only

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS customer_name_trgm_idx ON customers_customer "
    "USING gin (UPPER(name) gin_trgm_ops)",
]
BACKWARD = ["DROP INDEX IF EXISTS customer_name_trgm_idx"]


class Migration(migrations.Migration):
    dependencies = [("customers", "0001_initial")]

    operations = [postgresql_only(FORWARD, BACKWARD)]
