"""The local settings for tests/reliability/test_two_beats.py's beat processes: the callback and
breach tasks every second instead of every 5 to 15 minutes, so two beats collide many times
within the test's time box. Only the schedule differs; the tasks are the shipped ones, or, with
DESK_TWO_BEATS_BROKEN=true, the claim-less drafts in tests/reliability/broken_tasks.py."""

from datetime import timedelta

from celery.schedules import schedule

from servicedesk.settings.local import *  # noqa: F403
from servicedesk.settings.local import env

# Relative: each due time is rounded down to a whole second of the clock, so the two beats fire
# within milliseconds of each other instead of at a phase set by when each happened to start;
# their runs of a task then overlap, which is the collision under test.
TICK = schedule(timedelta(seconds=1), relative=True)

_tasks = (
    ("followups-remind", "broken.remind"), ("followups-mark-missed", "broken.mark_missed")
) if env.bool("DESK_TWO_BEATS_BROKEN", default=False) else (
    ("followups-scan", "followups.scan"),
    ("followups-remind", "followups.remind"),
    ("followups-mark-missed", "followups.mark_missed"),
    ("tickets-escalate-breaches", "tickets.escalate_breaches"),
)  # fmt: skip

# Entries in settings win over the apps' registered ones of the same name
# (servicedesk.core.beat.DeskScheduler); the other registered entries keep their long intervals.
CELERY_BEAT_SCHEDULE = {name: {"task": task, "schedule": TICK} for name, task in _tasks}
