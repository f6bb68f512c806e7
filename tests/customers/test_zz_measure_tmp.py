from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse


def test_measure(client, agent, agent_api, big_archive):
    client.force_login(agent)
    for label, fn in [
        ("list page", lambda: client.get(reverse("customers:index"))),
        ("search page", lambda: client.get(reverse("customers:index"), {"q": "000"})),
        ("360 page", lambda: client.get(reverse("customers:detail", args=[big_archive[0].pk]))),
        ("api list", lambda: agent_api.get("/api/v1/customers/", {"page_size": 100})),
    ]:
        with CaptureQueriesContext(connection) as ctx:
            fn()
        print(label, len(ctx.captured_queries))
