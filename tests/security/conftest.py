import pytest
from django.db import transaction

from tests.reliability.figures import report

from .figures import FIGURES, summary
from .world import build_world


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """The matrix's people and objects, made once and rolled back when the module ends; each
    test's own transaction (the `db` fixture) nests inside, so one test's writes never reach
    the next."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield build_world()
        transaction.set_rollback(True)


def pytest_terminal_summary(terminalreporter):
    if FIGURES["cells"]:
        leaks, foreign = len(FIGURES["unauthorised_2xx"]), len(FIGURES["foreign_rows"])
        cells = f"{FIGURES['cells']} cells, {FIGURES['lists_checked']} list views"
        report("Access", "unauthorised 2xx", leaks, 0, ok=leaks == 0, detail=cells)
        report("Access", "foreign rows shown in lists", foreign, 0, ok=foreign == 0)
        terminalreporter.write_sep("-", "security figures")
        terminalreporter.write_line(summary())
