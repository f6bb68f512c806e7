"""Queries compiled once (servicedesk.core.compiled): the same answers as the ORM's, per call."""

import pytest
from django.contrib.auth import get_user_model
from django.db.models import F

from servicedesk.core.compiled import CompiledQuery
from servicedesk.core.models import Notification
from servicedesk.core.notifications import notification_mark_read, notify, unread_count
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_the_unread_badge_counts_each_users_own_unread_notifications():
    a, b = UserFactory(), UserFactory()
    notify(recipients=[a, b], verb="x", title="One", url="/records/1/")
    notify(recipients=[a], verb="y", title="Two", url="/records/2/")
    assert (unread_count(a), unread_count(b)) == (2, 1)
    notification_mark_read(user=a)
    assert (unread_count(a), unread_count(b)) == (0, 1)
    assert unread_count(UserFactory()) == 0


def test_instances_carry_the_querysets_annotations_and_follow_the_values():
    users = [UserFactory(first_name=name) for name in ("Li", "Wang")]
    query = CompiledQuery(
        lambda pk: get_user_model().objects.annotate(shout=F("first_name")).filter(pk=pk), "pk"
    )
    for user in users:
        (found,) = query.instances(pk=user.pk)
        assert (found.pk, found.shout) == (user.pk, user.first_name)
    assert query.instances(pk=max(u.pk for u in users) + 1) == []


def test_a_value_that_is_not_one_parameter_of_the_query_is_refused():
    # The stand-in never reaches the SQL: the value would be ignored, so compiling says so.
    query = CompiledQuery(lambda pk: Notification.objects.all(), "pk")
    with pytest.raises(ValueError, match="stand-in"):
        query.scalar(pk=1)
