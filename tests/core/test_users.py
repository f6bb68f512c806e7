import pytest
from django.template import Context, Template

from servicedesk.core.users import display_name
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("first", "last", "username", "shown"),
    [
        ("丽", "王", "wangli", "王丽"),
        ("Li", "Wang", "wangli", "Li Wang"),
        ("", "", "wangli", "wangli"),
    ],
)
def test_display_name_writes_chinese_names_family_name_first(first, last, username, shown):
    user = UserFactory(username=username, first_name=first, last_name=last)
    assert display_name(user) == shown
    rendered = Template("{% load desk %}{{ u|display_name }}").render(Context({"u": user}))
    assert rendered == shown


def test_display_name_of_nobody_is_empty():
    assert display_name(None) == ""
