"""Schemathesis against the Django app in-process: what "conforms to the schema" means here."""

from contextlib import contextmanager

from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

# What "conforms to the schema" means here: no 5xx; a declared status, content type, body and
# headers.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


@contextmanager
def in_test_transaction():
    """Django closes "old" connections around each request; inside a test's transaction that
    would drop the test's own connection. Django's test client unhooks it the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
