import pytest

from tests.tickets.factories import CategoryFactory
from tickets.models import Stage


@pytest.fixture
def category(department):
    """An after-sale installation led by the agent's department (customer-service)."""
    return CategoryFactory(
        code="installation",
        stage=Stage.AFTER_SALE,
        name_en="Installation & commissioning",
        name_zh="安装调试",
        lead_department=department,
        default_nature="technical",
        default_place="on_site",
    )


@pytest.fixture
def customer(db):
    from tests.factories import ContactFactory

    return ContactFactory(name="Li Wei", customer__name="Li Wei").customer
