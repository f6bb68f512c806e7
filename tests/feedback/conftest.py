import pytest

from servicedesk.core.roles import Role
from tests.factories import DepartmentFactory, MembershipFactory, UserFactory


@pytest.fixture
def technical(db):
    return DepartmentFactory(code="technical", name_en="Technical", name_zh="技术部")


@pytest.fixture
def sales(db):
    return DepartmentFactory(code="sales", name_en="Sales", name_zh="业务部")


@pytest.fixture
def colleague(db, department):
    """Another agent of the same department."""
    user = UserFactory(username="colleague", first_name="Mei", last_name="Sun", role=Role.AGENT)
    MembershipFactory(user=user, department=department)
    return user


@pytest.fixture
def fitter(db, technical):
    """An agent of the technical department."""
    user = UserFactory(username="fitter", first_name="Lei", last_name="Zhao", role=Role.AGENT)
    MembershipFactory(user=user, department=technical)
    return user
