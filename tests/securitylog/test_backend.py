"""The sign-in backend reads the request's user with their role and departments in one query on
PostgreSQL, and a change to either shows on the very next request."""

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from servicedesk.core import services as core_services
from servicedesk.core.roles import Role, user_role
from servicedesk.core.selectors import user_department_ids
from servicedesk.securitylog.backends import ThrottledModelBackend
from tests.factories import DepartmentFactory

pytestmark = pytest.mark.django_db


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the one-query read is PG's")
def test_one_query_brings_the_role_and_departments(manager, department, django_assert_num_queries):
    second = DepartmentFactory()
    core_services.department_add_member(department=second, user=manager)
    with django_assert_num_queries(1):
        user = ThrottledModelBackend().get_user(manager.pk)
        assert user_role(user) == Role.MANAGER
        assert sorted(user_department_ids(user)) == sorted([department.pk, second.pk])


def test_an_inactive_user_is_not_signed_in(agent):
    agent.is_active = False
    agent.save()
    assert ThrottledModelBackend().get_user(agent.pk) is None


def test_role_and_department_changes_apply_on_the_next_request(agent, department):
    client = Client()
    client.force_login(agent)
    assert client.get(reverse("dashboard:index")).status_code == 403
    core_services.user_set_role(user=agent, role=Role.MANAGER)
    assert client.get(reverse("dashboard:index")).status_code == 200
