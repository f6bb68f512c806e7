"""What followups does when other apps' events are delivered (after their commit, in a worker)."""

from tickets.models import Status

from . import services


def schedule_after_resolution(event) -> None:
    """A record resolved: its rules' after-service visits, counted from the moment it happened.
    Re-delivery and reopen-then-resolve find the visit already there and add none."""
    if event.payload.get("to") != Status.RESOLVED:
        return
    services.visits_schedule_for_record(
        record_id=event.payload["id"], resolved_at=event.occurred_at
    )
