"""Domain errors raised by services; the API and pages translate them into 4xx answers."""

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    """A rule of the desk refused the operation. `field` names the input it concerns, if any."""

    default_message = _("The operation is not allowed.")

    def __init__(self, message=None, *, field: str | None = None, code: str = "invalid"):
        self.message = message or self.default_message
        self.field = field
        self.code = code
        super().__init__(str(self.message))

    def as_field_errors(self) -> dict[str, list[str]]:
        return {self.field or "non_field_errors": [str(self.message)]}


class InvalidTransition(DomainError):
    default_message = _("This status change is not allowed.")

    def __init__(self, message=None, *, field: str = "status"):
        super().__init__(message, field=field, code="invalid_transition")


class ConflictError(DomainError):
    """Someone else saved the same record first: the caller must reload and retry."""

    default_message = _(
        "This record was changed by someone else. Reload it and apply your change again."
    )

    def __init__(self, message=None, *, current=None, changes: dict | None = None):
        super().__init__(message, field=None, code="conflict")
        self.current = current
        self.changes = changes or {}


class StorageFull(DomainError):
    """The server has no room to store a file (full disk, quota, file-size limit). Not the
    caller's input at fault: the API answers 507 Insufficient Storage, a page a form error."""

    default_message = _(
        "The server has no room to store this file now. Try again later, or tell an administrator."
    )

    def __init__(self, message=None, *, field: str | None = "file"):
        super().__init__(message, field=field, code="storage_full")
