"""PostgreSQL-only character indexes for name searches of one or two characters (skipped on
SQLite, which has no equivalent).

A search for a surname ("沈") has no trigram for customer_name_trgm_idx to look up, so
PostgreSQL read the whole trigram index or walked every customer by name (selectors.
NameContains). These index each name's characters:

customer_name_chars_idx: GIN on string_to_array(UPPER(name), NULL), every customer;
customer_org_chars_idx: the same for organisations only, for the organisation sub-search.
"""

from django.db import migrations

from servicedesk.core.migration_ops import postgresql_only

CHARS = "USING gin (string_to_array(UPPER(name), NULL))"
FORWARD = [
    f"CREATE INDEX IF NOT EXISTS customer_name_chars_idx ON customers_customer {CHARS}",
    f"CREATE INDEX IF NOT EXISTS customer_org_chars_idx ON customers_customer {CHARS} "
    "WHERE kind = 'organisation'",
]
BACKWARD = [
    "DROP INDEX IF EXISTS customer_name_chars_idx",
    "DROP INDEX IF EXISTS customer_org_chars_idx",
]


class Migration(migrations.Migration):
    dependencies = [("customers", "0005_contact_hours_tier_cursor")]

    operations = [postgresql_only(FORWARD, BACKWARD)]
