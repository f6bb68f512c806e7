"""Issue 13, item 2: bad input, everywhere.

Every API write (from the OpenAPI schema) and every staff form (from the pages the desk serves)
gets hostile values in every field (tests/security/hostile.py):
- invalid ones (1 MB strings, NUL bytes, text that is not UTF-8, out-of-range numbers, malformed
  dates and times, unknown choices) must be refused with a 4xx naming the field (the API's one
  error shape; a re-shown form with the field's error) and save nothing;
- valid text (XSS, RTL override, formula prefixes) may be stored, and every page that shows it
  must escape it, every CSV export neutralise it;
- nothing answers 500.

One run (the module fixture) sends them all and reads every page back; the tests below each
assert one promise of it. About 2,300 requests: 95 s on PostgreSQL and on SQLite on the 2-core
machine while other suites ran (world building included).
"""

import os
import time

import pytest
from django.db import transaction
from django.test import override_settings

from tests.reliability.figures import report

from . import badinput, badinput_api, badinput_pages, hostile

pytestmark = pytest.mark.django_db

AREA = "Bad input"


@pytest.fixture(scope="module")
def outcome(world, django_db_blocker):
    # The public survey page's submit limits (tested in tests/surveys/) would stop the hostile
    # answers after ten; everything else runs with the shipped settings.
    unlimited = override_settings(SURVEY_SUBMITS_PER_LINK=10**6, SURVEY_SUBMITS_PER_ADDRESS=10**6)
    with django_db_blocker.unblock(), unlimited, transaction.atomic():
        result = _run(world)
        transaction.set_rollback(True)
    _report(result)
    if os.environ.get("BADINPUT_FINDINGS"):  # a file to list every finding in, for fixing
        with open(os.environ["BADINPUT_FINDINGS"], "w", encoding="utf-8") as out:
            for finding in [*result.setup, *result.wrong, *result.server_errors,
                            *result.unescaped, *result.unneutralised]:  # fmt: skip
                out.write(f"{finding}\n")
    return result


def _run(world):
    from django.test import Client

    result = badinput.Outcome()
    clock = [time.monotonic()]

    def lap(phase):
        now = time.monotonic()
        result.phases[phase] = round(now - clock[0], 1)
        clock[0] = now

    admin = world.users["administrator"]
    document = Client().get("/api/schema/?format=json").json()
    schema = hostile.Schema(document)
    api = badinput_api.api_client(admin)
    operations = badinput_api.api_operations(schema, world, api, result)
    badinput_api.api_run(schema, world, api, result, operations)
    lap("api")

    clients = {role: badinput_pages.page_client(world.users[role]) for role in badinput.ROLES}
    post_forms, get_forms = badinput_pages.collect_forms(world, clients, result)
    lap("crawl forms")
    usable = badinput_pages.pages_run(clients, result, post_forms)
    badinput_pages.get_forms_run(clients, result, get_forms)
    lap("pages")

    # Stored last: each keeps its payload, which later bases would otherwise trip over.
    badinput_api.api_store(schema, world, api, result, operations)
    badinput_pages.pages_store(clients, result, usable)
    lap("store")
    badinput_pages.read_back(world, clients, result)
    lap("read back")
    return result


def _report(result):
    share = 100.0 * result.refused_well / result.curated if result.curated else 0.0
    detail = (
        f"{result.curated} invalid values; {result.operations} API operations "
        f"({result.api_fields} fields), {result.forms} page forms ({result.form_fields} fields); "
        f"{result.requests} requests"
        + (f"; not reached: {', '.join(sorted(result.unreached))}" if result.unreached else "")
    )
    report(AREA, "curated bad inputs answered 4xx with a field message", f"{share:.1f}%", "100%",
           ok=result.refused_well == result.curated, detail=detail)  # fmt: skip
    report(AREA, "unescaped payloads", len(result.unescaped), 0, ok=not result.unescaped,
           detail=f"{result.pages_read} pages and {result.exports_read} exports read back; "
           f"{len(result.stored_tags)} stored values, {len(result.seen_tags)} seen")  # fmt: skip
    report(AREA, "500s", len(result.server_errors), 0, ok=not result.server_errors,
           detail=f"{result.requests} requests")  # fmt: skip
    print(f"\n[bad input] {detail}; seconds {result.phases}")
    print(f"[bad input] kinds {dict(sorted(result.kinds.items()))}")


def _lines(findings, limit=60):
    return "\n".join(str(f) for f in findings[:limit]) + (
        f"\n… and {len(findings) - limit} more" if len(findings) > limit else ""
    )


def test_every_write_operation_and_form_is_reached(outcome):
    # A base body or form the generator cannot make go through leaves its fields untested.
    assert not outcome.setup, "\n".join(outcome.setup)
    assert outcome.operations >= 20
    assert outcome.forms >= 20


def test_every_text_field_gets_every_hostile_kind(outcome):
    for kind in [*hostile.INVALID_TEXT, *hostile.valid_text("x")]:
        assert outcome.kinds[kind] >= len(outcome.text_fields), kind


def test_invalid_values_are_refused_with_a_field_message_and_save_nothing(outcome):
    assert not outcome.wrong, _lines(outcome.wrong)
    assert outcome.refused_well == outcome.curated


def test_no_server_errors(outcome):
    assert not outcome.server_errors, _lines(outcome.server_errors)


def test_stored_payloads_are_shown_escaped(outcome):
    assert outcome.stored_tags
    assert not outcome.unescaped, "\n".join(outcome.unescaped[:60])


def test_stored_payloads_appear_on_some_page(outcome):
    # Shows the read-back proves something: most stored values are found again, escaped.
    assert len(outcome.seen_tags & set(outcome.stored_tags)) >= len(outcome.stored_tags) // 2


def test_exports_neutralise_formula_prefixes(outcome):
    assert outcome.exports_read >= 3
    assert not outcome.unneutralised, "\n".join(outcome.unneutralised)


def _input_classes():
    """Every staff form and every API input serializer the apps define."""
    import importlib
    import inspect

    from django.apps import apps
    from django.forms import BaseForm
    from rest_framework.serializers import Serializer

    for config in apps.get_app_configs():
        if not config.name.startswith(
            ("customers", "tickets", "followups", "surveys", "servicedesk")
        ):
            continue
        for module_name in ("forms", "api.serializers", "api.complaints", "complaints.forms",
                            "complaints.rootcause.forms"):  # fmt: skip
            try:
                module = importlib.import_module(f"{config.name}.{module_name}")
            except ModuleNotFoundError:
                continue
            for name, cls in vars(module).items():
                if not inspect.isclass(cls) or cls.__module__ != module.__name__:
                    continue
                if issubclass(cls, BaseForm) or (
                    issubclass(cls, Serializer) and name.endswith("InputSerializer")
                ):
                    yield cls


def test_every_free_text_input_has_a_length_limit():
    """The generated run finds a missing limit only where a page or the schema shows the field;
    this catches one on any form or input serializer, reached or not. (Form fields built in
    __init__, as the customer form's from the model, are checked by the run.)"""
    from django import forms
    from django.contrib.auth.forms import AuthenticationForm
    from rest_framework import serializers

    unlimited = []
    classes = list(_input_classes())
    for cls in classes:
        if issubclass(cls, AuthenticationForm):
            continue  # sign-in: Django's limits, set in its __init__ (tests/securitylog/)
        if issubclass(cls, forms.BaseForm):
            fields, text = cls.base_fields.items(), forms.CharField
        else:
            fields, text = cls().fields.items(), serializers.CharField
        for name, fld in fields:
            # Plain text boxes only: subclasses (e-mail, choices written as text) have rules.
            if type(fld) is text and not fld.max_length and not getattr(fld, "read_only", False):
                unlimited.append(f"{cls.__module__}.{cls.__name__}.{name}")
    assert len(classes) >= 30
    assert not unlimited, unlimited


def test_read_back_catches_an_unescaped_payload_and_a_live_formula():
    """The read-back can fail: a page echoing a payload raw, or an export cell starting with a
    formula, is counted."""
    from django.http import HttpResponse

    result = badinput.Outcome()
    page = HttpResponse(f"<p>{hostile.XSS_SCRIPT}</p>", content_type="text/html")
    export = HttpResponse("name\r\n=zqH0001q\r\n'=zqH0002q\r\n", content_type="text/csv")
    for where, response in (("page", page), ("export", export)):
        badinput_pages.read_response(result, where, response)
    assert result.unescaped == [f"page: {hostile.XSS_SCRIPT}"]
    assert result.unneutralised == ["export: '=zqH0001q'"]
    assert result.seen_tags == {"zqH0001q", "zqH0002q"}
