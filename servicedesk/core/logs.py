"""Logging helpers named in settings.LOGGING; this module imports nothing of Django's apps, so
settings can name it before the app registry is ready."""

import logging


class ForbiddenWithoutTraceback(logging.Filter):
    """A 403 is the desk refusing on purpose, not a fault: Django's `django.request` logger adds
    the PermissionDenied traceback to its "Forbidden (Permission denied)" line, which buries real
    errors in the log. The line stays (who was refused what); the traceback goes."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) == 403:
            record.exc_info = None
            record.exc_text = None
        return True
