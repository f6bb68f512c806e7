import pytest

from tests.tickets.factories import customer_li_wei, installation_category


@pytest.fixture
def category(department):
    """An after-sale installation led by the agent's department (customer-service)."""
    return installation_category(department)


@pytest.fixture
def customer(db):
    return customer_li_wei()
