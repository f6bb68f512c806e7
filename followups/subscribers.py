"""What followups does when other apps' events are delivered (after their commit, in a worker)."""

from tickets.models import Status

from . import services


def is_resolution(payload: dict) -> bool:
    return payload.get("to") == Status.RESOLVED


def schedule_after_resolution(event) -> None:
    """A record resolved: its rules' after-service visits, counted from the moment it happened.
    Re-delivery and reopen-then-resolve find the visit already there and add none."""
    if not is_resolution(event.payload):
        return
    services.visits_schedule_for_record(
        record_id=event.payload["id"], resolved_at=event.occurred_at
    )
