"""What tickets does when its own events are delivered: tell the people who should know.

These run after the record's change committed, in a worker (or in the commit hook in tests). Each
writes its notifications with the event's id, under the one-notification-per-event constraint, so
a re-delivered event adds nothing.
"""

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _

from servicedesk.core.notifications import notify

from .models import ServiceRecord

User = get_user_model()


def notify_department_of_new_record(event) -> None:
    if event.payload.get("backdated"):
        return
    record = ServiceRecord.objects.select_related("lead_department").get(pk=event.payload["id"])
    members = User.objects.filter(
        is_active=True, department_memberships__department_id=record.lead_department_id
    ).exclude(pk__in=[event.actor_id or 0, record.assignee_id or 0])
    notify(
        recipients=members,
        verb="record_new",
        title=_("New record in %(department)s: %(ref)s %(subject)s")
        % {
            "department": record.lead_department.name,
            "ref": record.reference,
            "subject": record.subject,
        },
        url=record.get_absolute_url(),
        event=event,
    )


def notify_new_assignee(event) -> None:
    assignee_id = event.payload.get("to")
    if not assignee_id or assignee_id == event.actor_id or event.payload.get("backdated"):
        return  # unassigned, or people who take work themselves need no notice
    record = ServiceRecord.objects.get(pk=event.payload["id"])
    notify(
        recipients=User.objects.filter(pk=assignee_id),
        verb="record_assigned",
        title=_("Assigned to you: %(ref)s %(subject)s")
        % {"ref": record.reference, "subject": record.subject},
        url=record.get_absolute_url(),
        event=event,
    )
