import pytest

from tests.tickets.factories import CategoryFactory, customer_li_wei, installation_category
from tickets.models import Stage


@pytest.fixture
def category(department):
    """An after-sale installation led by the agent's department (customer-service)."""
    return installation_category(department)


@pytest.fixture
def customer(db):
    return customer_li_wei()


@pytest.fixture
def complaint_category(department):
    """After-sale complaint handling, led by the agent's department."""
    return CategoryFactory(
        code="complaint-handling", stage=Stage.AFTER_SALE, lead_department=department
    )
