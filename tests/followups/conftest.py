import pytest

from tests.followups.factories import RuleFactory
from tests.tickets.factories import customer_li_wei, installation_category
from tickets.models import BusinessCalendar


@pytest.fixture
def category(department):
    """An after-sale installation led by the agent's department (customer-service)."""
    return installation_category(department)


@pytest.fixture
def customer(db):
    return customer_li_wei()


@pytest.fixture
def calendar(db):
    """Office hours, Monday to Friday 09:00–18:00, Asia/Shanghai (the desk's default)."""
    return BusinessCalendar.objects.create(name="Office hours", is_default=True)


@pytest.fixture
def install_rule(department, category, calendar):
    """3 working days after an installation is resolved, a phone call; window 2 working days."""
    return RuleFactory(
        code="after-installation",
        department=department,
        categories=[category],
        delay_days=3,
        window_days=2,
    )
