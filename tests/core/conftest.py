import pytest
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend

# What the next sends of FlakyBackend raise, in order; empty means "deliver" (to the locmem outbox).
FAILURES: list[Exception] = []


class FlakyBackend(BaseEmailBackend):
    """A mail server that fails as told, then delivers like the test backend."""

    def send_messages(self, messages):
        if FAILURES:
            raise FAILURES.pop(0)
        return LocmemBackend().send_messages(messages)


@pytest.fixture
def flaky(settings):
    """Mail goes through FlakyBackend; append exceptions to the yielded list to make sends fail."""
    settings.EMAIL_BACKEND = "tests.core.conftest.FlakyBackend"
    FAILURES.clear()
    yield FAILURES
    FAILURES.clear()


@pytest.fixture
def category(department):
    """A plain category led by the agent's department, for the record flows core tests drive."""
    from tests.tickets.factories import CategoryFactory

    return CategoryFactory(lead_department=department)
