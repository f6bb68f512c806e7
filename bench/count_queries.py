"""SQL queries per request for each benchmark endpoint, in-process (Django's test client)."""

import json

from endpoints import bench_user, endpoints  # noqa: I001 - sets up Django first

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, setup_test_environment

setup_test_environment()
client = Client()
client.force_login(bench_user())
result = {}
for endpoint in endpoints():
    client.get(endpoint["path"])  # warm caches (content types, sessions) so counts are steady
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(endpoint["path"])
    result[endpoint["name"]] = {
        "status": response.status_code,
        "queries": len(ctx.captured_queries),
    }
print(json.dumps(result))
