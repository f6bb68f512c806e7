"""The local settings, with beat's recovery sweeps every few seconds instead of every 30 s to
15 min, so that a fault test sees the pending work drained within its time box. Only the
schedule differs: the sweeps, their grace periods and everything they call are the shipped ones."""

from servicedesk.settings.local import *  # noqa: F403

SWEEP_SECONDS = 5.0

# Entries in settings win over the apps' registered ones (servicedesk.core.beat.DeskScheduler).
CELERY_BEAT_SCHEDULE = {
    name: {"task": task, "schedule": SWEEP_SECONDS}
    for name, task in (
        ("core-outbox-resend", "core.outbox_resend"),
        ("core-events-retry", "core.events_retry"),
        ("core-email-retry", "core.email_retry_due"),
        ("surveys-send-unsent", "surveys.send_unsent"),
        ("followups-remind", "followups.remind"),
    )
}
