"""Periodic tasks: each app registers its own from AppConfig.ready(); beat reads the registry.

Nothing edits `app.conf` at import time: servicedesk.core.beat.DeskScheduler merges these entries
into beat's schedule when beat starts, after every app is ready.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class PeriodicTask:
    name: str  # the schedule entry's name
    task: str  # the registered Celery task name
    seconds: float
    why: str = ""


_tasks: dict[str, PeriodicTask] = {}


def register(entry: PeriodicTask) -> None:
    _tasks[entry.name] = entry


def entries() -> list[PeriodicTask]:
    return sorted(_tasks.values(), key=lambda t: t.name)


def beat_schedule() -> dict[str, dict]:
    return {t.name: {"task": t.task, "schedule": t.seconds} for t in entries()}
