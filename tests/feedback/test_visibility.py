"""Who sees what: an agent never sees someone else's unshared case or the author of someone
else's anonymous suggestion — in the selectors, on the pages, anywhere."""

import pytest

from servicedesk.feedback import selectors, services
from tests.factories import UserFactory

from .factories import CaseFactory, SuggestionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def cases(agent, colleague):
    return {
        "mine": CaseFactory(author=agent, title="My own case"),
        "shared": CaseFactory(author=colleague, shared=True, title="Shared case"),
        "hidden": CaseFactory(author=colleague, title="Colleague's private case"),
    }


def test_an_agent_sees_shared_cases_and_their_own(agent, cases):
    seen = set(selectors.case_visible(agent))
    assert seen == {cases["mine"], cases["shared"]}
    for scope in selectors.CASE_SCOPES:
        assert cases["hidden"] not in set(selectors.case_list(agent, scope=scope))


def test_a_manager_sees_every_case(manager, cases):
    assert set(selectors.case_visible(manager)) == set(cases.values())
    assert set(selectors.case_list(manager, scope="unshared")) == {cases["mine"], cases["hidden"]}


def test_nobody_without_a_desk_role_sees_a_case(cases):
    assert not selectors.case_visible(UserFactory(role="")).exists()


def test_an_unshared_case_is_nowhere_on_an_agents_pages(client, agent, cases):
    client.force_login(agent)
    for url in ("/feedback/", "/feedback/cases/", "/feedback/cases/?scope=all",
                "/feedback/cases/?scope=unshared", "/feedback/cases/?scope=mine"):  # fmt: skip
        page = client.get(url).content.decode()
        assert "Colleague&#x27;s private case" not in page, url
    assert client.get(f"/feedback/cases/{cases['hidden'].pk}/").status_code == 404
    assert client.get(f"/feedback/cases/{cases['shared'].pk}/").status_code == 200


def test_unsharing_hides_a_case_again(client, agent, manager, cases):
    services.case_set_shared(by=manager, case_id=cases["shared"].pk, shared=False)
    client.force_login(agent)
    assert client.get(f"/feedback/cases/{cases['shared'].pk}/").status_code == 404


@pytest.fixture
def anonymous(colleague):
    return SuggestionFactory(author=colleague, is_anonymous=True, title="Quiet idea")


def test_an_anonymous_author_never_leaves_the_database_for_another_agent(agent, anonymous):
    values = selectors.suggestion_list(agent).values(*selectors.SUGGESTION_FIELDS).get()
    assert values["by_id"] is None
    assert values["by_first_name"] is None and values["by_username"] is None
    page = selectors.suggestion_page_values(agent, anonymous.pk)
    assert page["by_id"] is None and page["by_last_name"] is None


def test_the_author_and_managers_see_who_wrote_it(colleague, manager, anonymous):
    for viewer in (colleague, manager):
        values = selectors.suggestion_page_values(viewer, anonymous.pk)
        assert values["by_id"] == colleague.pk


def test_a_named_suggestion_shows_its_author_to_everyone(agent, colleague):
    named = SuggestionFactory(author=colleague)
    assert selectors.suggestion_page_values(agent, named.pk)["by_id"] == colleague.pk


def test_an_agent_filtering_by_mine_cannot_find_anothers_anonymous_one(agent, anonymous):
    assert not selectors.suggestion_list(agent, mine=True).exists()


def test_the_anonymous_authors_name_is_on_no_page_an_agent_sees(
    client, agent, manager, colleague, anonymous
):
    # The name is unmistakable so that a leak anywhere would show.
    colleague.first_name, colleague.last_name = "Zebulon", "Quackenbush"
    colleague.save()
    client.force_login(agent)
    for url in ("/feedback/suggestions/", f"/feedback/suggestions/{anonymous.pk}/",
                "/feedback/", "/feedback/suggestions/?status=submitted"):  # fmt: skip
        page = client.get(url).content.decode()
        assert "Quackenbush" not in page and "colleague" not in page, url
        assert "Quiet idea" in page or url == "/feedback/"
    client.force_login(manager)
    assert "Quackenbush" in client.get(f"/feedback/suggestions/{anonymous.pk}/").content.decode()
