import pytest

from tests.factories import ContactFactory, CustomerFactory, EmailFactory
from tests.surveys.factories import rating_template


@pytest.fixture
def template(db):
    return rating_template()


@pytest.fixture
def customer(db):
    """A customer with an e-mail address, writing in Chinese."""
    customer = CustomerFactory(language="zh-hans")
    EmailFactory(contact=ContactFactory(customer=customer), value="li.wei@example.com")
    return customer
