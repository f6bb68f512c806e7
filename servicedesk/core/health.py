"""Reachability of the parts the desk needs: the database and the Celery broker."""

import logging

from celery import current_app
from django.db import connection

log = logging.getLogger(__name__)


def check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - report, never raise, from a health check
        log.warning("health: database unreachable: %s", exc)
        return "unreachable"
    return "ok"


def check_broker() -> str:
    try:
        with current_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception as exc:  # noqa: BLE001
        log.warning("health: broker unreachable: %s", exc)
        return "unreachable"
    return "ok"


def check_all() -> dict[str, str]:
    return {"database": check_database(), "broker": check_broker()}


def failures() -> dict[str, int]:
    """Work that failed for good and waits for an administrator (Django admin lists each one)."""
    # Each count reads a partial index of the failed rows only (delivery_failed_idx,
    # email_failed_idx), so the probe stays cheap however large the logs grow.
    from .email import failed_emails
    from .events import failed_deliveries

    return {"event_deliveries": failed_deliveries().count(), "emails": failed_emails().count()}
