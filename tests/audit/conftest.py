import pytest

from tests.factories import DepartmentFactory, MembershipFactory, UserFactory

from .factories import default_form, handled_record


@pytest.fixture
def six_steps(db):
    return default_form()


@pytest.fixture
def record(agent, department):
    return handled_record(department, agent)


@pytest.fixture
def finance(db):
    return DepartmentFactory(code="finance", name_en="Finance", name_zh="财务部")


@pytest.fixture
def other_agent(finance):
    """An agent of another department."""
    user = UserFactory(username="other-agent")
    MembershipFactory(user=user, department=finance)
    return user
