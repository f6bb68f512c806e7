"""What followups does when other apps' events are delivered (after their commit, in a worker).
Each handler gets only the payloads its `is_…` test accepts: apps.py subscribes it with `when=`."""

from tickets.complaints.models import Step
from tickets.models import Status

from . import services


def is_resolution(payload: dict) -> bool:
    return payload.get("to") == Status.RESOLVED


def schedule_after_resolution(event) -> None:
    """A record resolved: its rules' after-service visits, counted from the moment it happened.
    Re-delivery and reopen-then-resolve find the visit already there and add none."""
    services.visits_schedule_for_record(
        record_id=event.payload["id"], resolved_at=event.occurred_at
    )


def is_complaint_recheck(payload: dict) -> bool:
    return payload.get("field") == "step" and payload.get("to") == Step.RECHECK


def schedule_complaint_recheck(event) -> None:
    """A complaint reached step 6: its re-check visit (the complaint's record is its source)."""
    services.visit_for_complaint_recheck(record_id=event.payload["record"], at=event.occurred_at)
