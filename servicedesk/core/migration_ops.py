"""Operations the migrations share."""

from django.db import migrations


def postgresql_only(forward: list[str], backward: list[str]) -> migrations.RunPython:
    """Raw SQL run on PostgreSQL only (indexes and statistics SQLite has no equivalent of)."""

    def runner(statements):
        def run(apps, schema_editor):
            if schema_editor.connection.vendor != "postgresql":
                return
            for sql in statements:
                schema_editor.execute(sql)

        return run

    return migrations.RunPython(runner(forward), runner(backward))
