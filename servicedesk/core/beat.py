"""Celery beat's scheduler for the desk: the periodic-task registry, merged when beat starts."""

from celery.beat import PersistentScheduler


class DeskScheduler(PersistentScheduler):
    """Beat loads Django before it builds its scheduler (Celery's Django fix-up), so every app's
    ready() has registered its periodic tasks by then. Entries in settings still win."""

    def setup_schedule(self):
        from .periodic import beat_schedule

        super().setup_schedule()
        self.merge_inplace({**beat_schedule(), **(self.app.conf.beat_schedule or {})})
        self.sync()
