"""The run behind tests/security/test_bad_input.py: hostile values sent to every API write and
every staff form, then every page and export read back.

Where the values go is generated: API operations and their properties from the served OpenAPI
schema, page forms from the HTML the staff pages serve (as administrator, manager and agent, on
the access matrix's world), so a new field or form is covered without editing here. The only hand
knowledge is which world object an id property names (ID_PROPERTIES) and the few bodies the schema
cannot describe (BODY_HINTS); a property missing from them fails the run, saying so.
"""

import csv
import io
import json
import re
from collections import Counter
from dataclasses import dataclass, field

from django.apps import apps
from django.db import connection, models, transaction
from django.forms import BaseForm, BaseFormSet
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import Resolver404, resolve

from servicedesk.core import services as core_services

from . import hostile, matrix
from .routes import all_routes, url_for
from .world import OWNER

# Body properties holding ids: the world kind (or "user") whose id they take.
ID_PROPERTIES = {
    "customer": "customer",
    "contact": "contact",
    "category": "category",
    "new_issue_category": "category",
    "categories": "category",
    "department": "department",
    "responsible_department": "department",
    "collaborating_departments": "department",
    "record": "record",
    "about_record": "record",
    "source_record": "record",
    "visit": "visit",
    "complaint": "complaint",
    "template": "survey_template",
    "form": "check_form",
    "assignee": "user",
    "owner": "user",
    "organisation": "customer",
    "product": "product",
    "item": "check_item",
}


_FRESH = {}


def _hint_steps(world, target):
    # The world's complaints wait at step 5 with actions planned; a complaint of its own at the
    # first step takes the step with free text ("respect": the words said to the customer).
    from tests.tickets.factories import RecordFactory
    from tickets.complaints.models import Complaint

    if "complaint" not in _FRESH or _FRESH["complaint"][0] is not world:
        record = RecordFactory(category=world.shared["category"], subject="Fresh complaint")
        complaint = Complaint.objects.create(
            record=record, channel="phone", severity="general", step="respect"
        )
        _FRESH["complaint"] = (world, complaint)
    return {"_target": _FRESH["complaint"][1], "step": "respect", "data": {"words": "Sorry"}}


def _hint_review(world, target):
    from django.utils import timezone

    from tests.tickets.factories import RecordFactory

    form = world.shared["check_form"]
    resolved = RecordFactory(
        category=world.shared["category"],
        assignee=world.users["agent"],
        status="resolved",
        resolved_at=timezone.now(),
    )
    return {
        "record": resolved.pk,
        "scores": [{"item": i.pk, "points": 1} for i in form.items.all()],
    }


def _hint_invitation(world, target):
    from tests.factories import CustomerFactory

    return {"customer": CustomerFactory(name="Never asked").pk, "channel": "phone"}


# Bodies the schema cannot describe (free-form `data`, lists of nested objects that must name
# real rows): merged into the generated base body.
BODY_HINTS = {
    ("post", "/api/v1/complaints/{id}/steps/"): _hint_steps,
    ("post", "/api/v1/reviews/"): _hint_review,
    ("post", "/api/v1/survey-invitations/"): _hint_invitation,
}

# Tables a refused request may still write: who signed in or used a token from where, sessions,
# the rate limiter's counters.
AUDIT_TABLES = ("securitylog_", "django_session", "core_apitoken", "desk_cache")
WRITE = re.compile(r'^\s*(INSERT INTO|UPDATE|DELETE FROM)\s+"?([\w.]+)"?', re.IGNORECASE)

# Page forms whose action is not data entry (language, sign-out) or belongs to the sign-in and
# password flows, which have their own tests (tests/securitylog/).
SKIP_ACTIONS = {
    "set_language",
    "logout",
    "admin:logout",
    "login",
    "password_change",
    "password_reset",
    "two_factor",
    # Uploads: tests/tickets/test_attachments.py and the import tests own them.
    "tickets:attachment_add",
    "customers:import",
    # Erasure and merging are confirmed by typing / picking with a search: their own tests
    # (tests/customers/) send them; hostile text in their confirmations is not stored.
    "customers:erase",
    "customers:merge",
}
# Page routes not crawled: the admin site (Django's), and routes the world cannot fill.
SKIP_PAGES = {"password_reset_confirm", "survey_thanks", "favicon", "api-docs", "api-schema"}
ROLES = ("administrator", "manager", "agent")
# Forms the world cannot submit validly, with why: their fields are not reached (listed in the
# figures' detail). Each is a step that needs an earlier one done first.
UNREACHABLE_FORMS = {
    "tickets:rootcause:workshop_choose": "chooses among the workshop's solutions; it has none",
    "tickets:complaint_step": "the world's complaints wait at step 5 with actions planned",
}
# What a form's buttons send that its fields do not show (the submit button pressed).
FORM_HINTS = {"tickets:complaint_action": {"do": ["told"]}}


@dataclass
class Finding:
    where: str
    value: str
    status: int
    problem: str

    def __str__(self):
        return f"{self.where} ← {self.value}: {self.status} {self.problem}"


@dataclass
class Outcome:
    curated: int = 0  # invalid values sent
    refused_well: int = 0  # …answered 4xx naming the field, nothing saved
    wrong: list = field(default_factory=list)  # Findings for invalid values
    server_errors: list = field(default_factory=list)
    unescaped: list = field(default_factory=list)
    unneutralised: list = field(default_factory=list)
    setup: list = field(default_factory=list)  # bases that would not go through
    operations: int = 0
    api_fields: int = 0
    forms: int = 0
    form_fields: int = 0
    kinds: Counter = field(default_factory=Counter)  # hostile kind → values sent
    stored_tags: dict = field(default_factory=dict)  # tag → "where.field"
    seen_tags: set = field(default_factory=set)
    pages_read: int = 0
    exports_read: int = 0
    text_fields: set = field(default_factory=set)
    requests: int = 0
    phases: dict = field(default_factory=dict)  # phase → seconds
    unreached: dict = field(default_factory=dict)  # form → why its fields are not sent

    def note_500(self, where, value, response):
        self.server_errors.append(Finding(where, value, response.status_code, _snippet(response)))


def _snippet(response) -> str:
    return response.content[:200].decode(errors="replace")


def _short(value) -> str:
    text = repr(value)
    return text if len(text) < 60 else text[:40] + f"…({len(text)} chars)"


def writes(captured) -> list[str]:
    tables = []
    for query in captured.captured_queries:
        match = WRITE.match(query["sql"] or "")
        if match and not match.group(2).lower().startswith(AUDIT_TABLES):
            tables.append(f"{match.group(1).split()[0]} {match.group(2)}")
    return tables


def send(outcome: Outcome, do, *, keep: bool | str):
    """One request in a savepoint: kept (keep=True) unless it failed with a 5xx; with
    keep="unless-written" (invalid values) kept only if it wrote nothing, so one wrongly accepted
    value does not change what the next one meets. Returns the response and the app tables it
    wrote."""
    with transaction.atomic(), CaptureQueriesContext(connection) as captured:
        response = do()
        outcome.requests += 1
        written = writes(captured)
        if response.status_code >= 500 or not keep or (keep == "unless-written" and written):
            transaction.set_rollback(True)
    return response, written


def row_counts() -> dict:
    return {
        m._meta.db_table: m._default_manager.count()
        for m in apps.get_models()
        if m._meta.managed and not m._meta.db_table.startswith(AUDIT_TABLES)
    }


# --- the API --------------------------------------------------------------------------------------


def api_client(user) -> Client:
    _token, key = core_services.api_token_create(user=user, name="bad input")
    client = Client(HTTP_AUTHORIZATION=f"Token {key}", raise_request_exception=False)
    return client


def _path_kind(path: str) -> str | None:
    sample = path.replace("{id}", "1").replace("{action_id}", "1")
    sample = sample.replace("{attachment_id}", "1")
    match = resolve(sample)
    name = ":".join(filter(None, [match.namespace, match.url_name]))
    return matrix.ROUTES[name][0]


def _targets(world, kind):
    """Objects a path's {id} can name, the administrator's own first."""
    if kind is None:
        return [None]
    if kind in matrix.SCOPED_KINDS:
        owners = ["administrator"] + [o for o in OWNER["agent"].values()] + ["manager", "agent"]
        seen, objects = set(), []
        for owner in owners + ["integration"]:
            obj = world.owned.get((kind, owner))
            if obj is not None and obj.pk not in seen:
                seen.add(obj.pk)
                objects.append(obj)
        return objects
    return [world.shared[kind]]


def _url(path, kind, target) -> str:
    if target is None:
        return path
    kwargs = (matrix.SCOPED_KINDS.get(kind) or matrix.SHARED_KINDS[kind])(target)
    url = path.replace("{id}", str(kwargs["pk"]))
    for key, value in kwargs.items():
        url = url.replace("{" + key + "}", str(value))
    return url


def _id_for(world, name: str):
    kind = ID_PROPERTIES.get(name)
    if kind == "user":
        return world.users["agent"].pk
    if kind == "product":
        return world.shared["product_owned"].product_id
    if kind == "check_item":
        return world.shared["check_form"].items.first().pk
    if kind in matrix.SCOPED_KINDS:
        return world.owned[kind, "agent"].pk
    if kind is not None:
        return world.shared[kind].pk
    return None


def _valid_value(schema, world, name, prop):
    kind = hostile.prop_kind(prop)
    if name in ID_PROPERTIES and kind in ("integer", "array"):
        value = _id_for(world, name)
        return [value] if kind == "array" else value
    if kind == "choice":
        return hostile.pattern_choices(prop)[0]
    if kind == "text":
        if prop.get("pattern"):
            return "plain-words"
        return "Plain words"
    if kind == "integer":
        return max(prop.get("minimum", 1), 1)
    if kind == "decimal":
        return "10.00"
    if kind == "date":
        return hostile.tomorrow_at_ten().date().isoformat()
    if kind == "date-time":
        return hostile.tomorrow_at_ten().isoformat()
    if kind == "time":
        return "10:00"
    if kind == "boolean":
        return False
    if kind == "array":
        item = schema.resolve(prop.get("items", {}))
        return [_valid_value(schema, world, name, item)]
    if kind == "object" and "properties" in prop:
        return {
            k: _valid_value(schema, world, k, schema.resolve(v))
            for k, v in prop["properties"].items()
            if k in prop.get("required", ())
        }
    return None


@dataclass
class Operation:
    method: str
    path: str
    body_schema: dict
    kind: str | None
    target: object = None
    base: dict = field(default_factory=dict)

    @property
    def label(self):
        return f"{self.method.upper()} {self.path}"


def _base_body(schema, world, op: Operation) -> dict:
    props = op.body_schema.get("properties", {})
    body = {}
    for name in op.body_schema.get("required", ()):
        prop = schema.resolve(props[name])
        if prop.get("readOnly"):
            continue
        body[name] = _valid_value(schema, world, name, prop)
    hint = BODY_HINTS.get((op.method, op.path))
    if hint:
        body.update(hint(world, op.target))
        op.target = body.pop("_target", op.target)
    if "version" in props and op.target is not None and hasattr(op.target, "version"):
        op.target.refresh_from_db()
        body["version"] = op.target.version
    if "stage" in body and "category" in body:
        category = world.shared["category"]
        body["category"], body["stage"] = category.pk, category.stage
    return body


def _call(client, op: Operation, body, *, raw: bytes | None = None):
    url = _url(op.path, op.kind, op.target)
    data = raw if raw is not None else json.dumps(body)
    return client.generic(op.method.upper(), url, data, content_type="application/json")


def _ok(response) -> bool:
    return 200 <= response.status_code < 300


def _refused_fields(response) -> dict:
    try:
        error = response.json()["error"]
    except (ValueError, KeyError, TypeError):
        return {}
    return error.get("fields") or {}


def api_operations(schema, world, client, outcome: Outcome) -> list[Operation]:
    """Every write operation with a target object that its generated base body goes through."""
    operations = []
    for method, path, media, body_schema in schema.writes():
        if media != "application/json":
            continue  # uploads: the attachment tests (tests/tickets/test_attachments.py)
        op = Operation(method, path, body_schema, _path_kind(path))
        last = None
        for target in _targets(world, op.kind):
            op.target = target
            op.base = _base_body(schema, world, op)
            last, _tables = send(outcome, lambda op=op: _call(client, op, op.base), keep=False)
            if _ok(last):
                break
        else:
            outcome.setup.append(
                f"{op.label}: base body {op.base} → {last.status_code} {_snippet(last)}"
            )
            continue
        operations.append(op)
    return operations


def _text_props(schema, body_schema):
    """(property, schema, in_array) for every text property, and one level into arrays."""
    for name, prop in body_schema.get("properties", {}).items():
        prop = schema.resolve(prop)
        if prop.get("readOnly"):
            continue
        kind = hostile.prop_kind(prop)
        if kind == "text":
            yield name, prop, False
        elif kind == "array":
            item = schema.resolve(prop.get("items", {}))
            if hostile.prop_kind(item) == "text":
                yield name, item, True


def _other_props(schema, body_schema):
    for name, prop in body_schema.get("properties", {}).items():
        prop = schema.resolve(prop)
        if prop.get("readOnly"):
            continue
        kind = hostile.prop_kind(prop)
        if kind not in ("text", "array", "object", "binary"):
            yield name, prop, kind
        elif kind == "array":
            item = schema.resolve(prop.get("items", {}))
            item_kind = hostile.prop_kind(item)
            if item_kind not in ("text", "object"):
                for label, value in hostile.bad_values(item_kind, item).items():
                    yield name, {"_array_value": [value], "_label": label}, "array"
            if "maxItems" in prop:
                too_many = [_valid_value(schema, None, "", item)] * (prop["maxItems"] + 1)
                yield name, {"_array_value": too_many, "_label": "too many items"}, "array"


def _expect_refused(outcome, where, name, value, response, tables):
    outcome.curated += 1
    if response.status_code >= 500:
        outcome.note_500(where, _short(value), response)
        return
    problems = []
    if name == "version" and _ok(response) and not tables:
        pass  # a body that changes nothing is a no-op whatever version it names
    elif not 400 <= response.status_code < 500:
        problems.append("not refused")
    elif name == "version" and response.status_code == 409 and _refused_error(response):
        pass  # a version no row has is a conflict, answered with the current one
    elif name not in _refused_fields(response):
        problems.append(f"no message for {name}: {_snippet(response)}")
    if tables:
        problems.append(f"saved: {sorted(set(tables))}")
    if problems:
        outcome.wrong.append(
            Finding(where, _short(value), response.status_code, "; ".join(problems))
        )
    else:
        outcome.refused_well += 1


def _expect_taken_or_named(outcome, where, names, value, response):
    """Valid text: stored (2xx), or refused with a message for the field (a code, a phone)."""
    if response.status_code >= 500:
        outcome.note_500(where, _short(value), response)
    elif not _ok(response):
        fields = _refused_fields(response)
        if not set(fields) & set(names):
            outcome.wrong.append(
                Finding(
                    where,
                    _short(value),
                    response.status_code,
                    f"valid text refused without a field message: {_snippet(response)}",
                )
            )


def api_run(schema, world, client, outcome: Outcome, operations):
    for op in operations:
        outcome.operations += 1
        counts = row_counts()
        # The whole body not UTF-8.
        response, tables = send(
            outcome,
            lambda op=op: _call(client, op, None, raw=b'{"x": "\xff\xfe"}'),
            keep="unless-written",
        )
        outcome.curated += 1
        outcome.kinds["invalid UTF-8 body"] += 1
        error = _refused_error(response)
        if response.status_code >= 500:
            outcome.note_500(op.label, "invalid UTF-8 body", response)
        elif response.status_code != 400 or not error or tables:
            outcome.wrong.append(
                Finding(op.label, "invalid UTF-8 body", response.status_code, _snippet(response))
            )
        else:
            outcome.refused_well += 1

        texts = list(_text_props(schema, op.body_schema))
        for name, _prop, in_array in texts:
            outcome.api_fields += 1
            outcome.text_fields.add(f"api {op.label} {name}")
            for kind, value in hostile.INVALID_TEXT.items():
                body = {**op.base, name: [value] if in_array else value}
                response, tables = send(
                    outcome, lambda b=body, op=op: _call(client, op, b), keep="unless-written"
                )
                outcome.kinds[kind] += 1
                _expect_refused(
                    outcome, f"{op.label} {name} [{kind}]", name, value, response, tables
                )
        for name, prop, kind in _other_props(schema, op.body_schema):
            outcome.api_fields += 1
            if kind == "array":
                values = {prop["_label"]: prop["_array_value"]}
            else:
                values = hostile.bad_values(kind, prop)
            for label, value in values.items():
                body = {**op.base, name: value}
                response, tables = send(
                    outcome, lambda b=body, op=op: _call(client, op, b), keep="unless-written"
                )
                outcome.kinds[f"{kind}: {label}"] += 1
                _expect_refused(
                    outcome, f"{op.label} {name} [{label}]", name, value, response, tables
                )
        if row_counts() != counts:
            changed = {t for t, n in row_counts().items() if counts.get(t) != n}
            outcome.wrong.append(Finding(op.label, "invalid values", 0, f"rows changed: {changed}"))

        # Valid text, one kind at a time in every text field at once; rolled back.
        if texts:
            for kind in hostile.valid_text("x"):
                body = dict(op.base)
                for name, _prop, in_array in texts:
                    value = hostile.valid_text(hostile.new_tag())[kind]
                    body[name] = [value] if in_array else value
                response, _tables = send(
                    outcome, lambda b=body, op=op: _call(client, op, b), keep=False
                )
                outcome.kinds[kind] += len(texts)
                _expect_taken_or_named(
                    outcome, f"{op.label} [{kind}]", [t[0] for t in texts], kind, response
                )


def _refused_error(response):
    try:
        error = response.json()["error"]
    except (ValueError, KeyError, TypeError):
        return None
    return error if error.get("message") else None


def api_store(schema, world, client, outcome: Outcome, operations):
    """Store one payload-carrying value in every text field of every operation, and keep it."""
    for op in operations:
        texts = list(_text_props(schema, op.body_schema))
        if not texts:
            continue
        tags = {}
        for name, prop, in_array in texts:
            tag = hostile.new_tag()
            value = hostile.rendered_text(tag, prop.get("maxLength"))
            if value:
                tags[name] = (tag, [value] if in_array else value)
        for target in _targets(world, op.kind):
            op.target = target
            base = _base_body(schema, world, op)
            for _attempt in range(3):
                body = {**base, **{n: v for n, (_t, v) in tags.items()}}
                response, _tables = send(
                    outcome, lambda b=body, op=op: _call(client, op, b), keep=True
                )
                refused = set(_refused_fields(response)) & set(tags)
                if _ok(response) or not refused:
                    break
                for name in refused:
                    tags.pop(name)
            if _ok(response):
                for name, (tag, _v) in tags.items():
                    outcome.stored_tags[tag] = f"api {op.label} {name}"
                break


# --- pages ----------------------------------------------------------------------------------------


def page_client(user) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def _page_urls(world, role):
    routes = all_routes()
    for name, (kind, method, _rule) in sorted(matrix.ROUTES.items()):
        route = routes.get(name)
        if (
            route is None
            or method != "GET"
            or route.is_api
            or not route.named
            or name in SKIP_PAGES
            or name.startswith("admin")
        ):
            continue
        values = dict(matrix.FIXED_ARGS)
        if kind in matrix.SCOPED_KINDS:
            owner = role if (kind, role) in world.owned else "colleague"
            values.update(matrix.SCOPED_KINDS[kind](world.owned[kind, owner]))
        elif kind is not None:
            values.update(matrix.SHARED_KINDS[kind](world.shared[kind]))
        yield name, url_for(route, values, matrix.UNNAMED_URLS)


def _route_name(path: str) -> str | None:
    try:
        match = resolve(path.split("?")[0])
    except Resolver404:
        return None
    return ":".join(filter(None, [match.namespace, match.url_name]))


@dataclass
class FoundForm:
    key: tuple
    role: str
    page: str
    form: hostile.PageForm


def collect_forms(world, clients, outcome: Outcome) -> tuple[list, list]:
    post_forms, get_forms, seen = [], [], set()
    for role in ROLES:
        for _name, url in _page_urls(world, role):
            response = clients[role].get(url)
            outcome.requests += 1
            if response.status_code >= 500:
                outcome.note_500(f"GET {url} as {role}", "-", response)
            if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
                continue
            for form in hostile.page_forms(response.content.decode()):
                action = form.action or url
                if action.startswith("?"):
                    action = url.split("?")[0] + action
                target = _route_name(action)
                if target is None or target in SKIP_ACTIONS or not form.names():
                    continue
                if target in UNREACHABLE_FORMS:
                    outcome.unreached[target] = UNREACHABLE_FORMS[target]
                    continue
                form.action, form.source = action, url
                key = (form.method, target, form.names())
                if key in seen:
                    continue
                seen.add(key)
                found = FoundForm(key, role, url, form)
                (post_forms if form.method == "post" else get_forms).append(found)
    return post_forms, get_forms


def form_errors(response) -> set:
    """The HTML names of the fields a re-shown form marks as wrong ("__all__" for the form)."""
    names = set()
    for context in response.context or []:
        for value in _flatten(context):
            if isinstance(value, BaseFormSet):
                for form in value.forms:
                    names |= {form.add_prefix(k) for k in form.errors}
                if value.non_form_errors():
                    names.add("__all__")
            elif isinstance(value, BaseForm) and value.is_bound:
                names |= {value.add_prefix(k) if k != "__all__" else k for k in value.errors}
    return names


def _marked_in_html(response, name: str) -> bool:
    """A re-shown page marks the field: Django's widgets set aria-invalid and the error's id is
    the field's (id_<name>_error); the Jinja2 survey page uses <name>-error."""
    body = response.content.decode(errors="replace")
    ids = (f'id="id_{name}_error"', f'id="{name}-error"', f'id="{name}_error"')
    if any(i in body for i in ids):
        return True
    return bool(re.search(rf'name="{re.escape(name)}"[^>]*aria-invalid="true"', body)) or bool(
        re.search(rf'aria-invalid="true"[^>]*name="{re.escape(name)}"', body)
    )


def _error_message(response) -> bool:
    """A row action refused with a message for the next page (the app's way for inline forms)."""
    from django.contrib.messages import ERROR, get_messages

    return any(m.level == ERROR for m in get_messages(response.wsgi_request))


def _flatten(context):
    try:
        return list(context.flatten().values())
    except AttributeError:
        return list(context.values()) if isinstance(context, dict) else []


def _post(client, found, data):
    return lambda: client.post(found.form.action, data)


def _succeeded(response) -> bool:
    return response.status_code in (200, 204, 302, 303) and not form_errors(response)


def _fresh(clients, found) -> hostile.PageForm | None:
    """The form as its page serves it now (current version, current values)."""
    response = clients[found.role].get(found.page)
    for form in hostile.page_forms(response.content.decode()):
        action = form.action or found.page
        if _route_name(action) == found.key[1] and form.names() == found.key[2]:
            form.action = action
            return form
    return None


def pages_run(clients, outcome: Outcome, post_forms):
    usable = []
    for found in post_forms:
        client, form = clients[found.role], found.form
        base, response = _working_base(outcome, client, found)
        if response.status_code >= 500:
            outcome.note_500(f"POST {form.action} (base)", "-", response)
            continue
        if not _succeeded(response):
            outcome.setup.append(
                f"form {found.key} on {found.page}: base {base} → {response.status_code} "
                f"errors {sorted(form_errors(response))}"
            )
            continue
        usable.append(found)
        outcome.forms += 1
        where = f"{found.key[1]} form"
        counts = row_counts()
        controls = list({c.name: c for c in form.controls}.values())  # a radio group is one
        texts = [c for c in controls if c.kind == "text" and c.type != "hidden"]
        for control in controls:
            if control.kind in ("skip", "file", "boolean") or control.name in base_hints(found):
                continue
            if control.type == "hidden" and control.kind == "text":
                _navigation(outcome, client, found, base, control)
                continue
            outcome.form_fields += 1
            if control.kind == "text":
                outcome.text_fields.add(f"page {found.key[1]} {control.name}")
                values = {
                    k: v
                    for k, v in hostile.INVALID_TEXT.items()
                    if k != "not utf-8"  # sent as raw bytes below
                }
            else:
                values = hostile.bad_control_values(control)
            for label, value in values.items():
                data = {**base, control.name: [value]}
                response, tables = send(outcome, _post(client, found, data), keep="unless-written")
                outcome.kinds[f"{control.kind}: {label}" if control.kind != "text" else label] += 1
                _page_refused(
                    outcome,
                    f"{where} {control.name} [{label}]",
                    control.name,
                    value,
                    response,
                    tables,
                )
            if control.kind == "text":
                response, tables = send(
                    outcome, _raw_post(client, found, base, control.name), keep="unless-written"
                )
                outcome.kinds["not utf-8"] += 1
                _page_refused(
                    outcome,
                    f"{where} {control.name} [not utf-8]",
                    control.name,
                    b"\xff\xfe",
                    response,
                    tables,
                )
        if row_counts() != counts:
            changed = {t for t, n in row_counts().items() if counts.get(t) != n}
            outcome.wrong.append(Finding(where, "invalid values", 0, f"rows changed: {changed}"))
        if texts:
            for kind in hostile.valid_text("x"):
                data = dict(base)
                for control in texts:
                    data[control.name] = [hostile.valid_text(hostile.new_tag())[kind]]
                response, _t = send(outcome, _post(client, found, data), keep=False)
                outcome.kinds[kind] += len(texts)
                if response.status_code >= 500:
                    outcome.note_500(f"{where} [{kind}]", kind, response)
                elif not _succeeded(response) and not form_errors(response) & {
                    c.name for c in texts
                }:
                    outcome.wrong.append(
                        Finding(
                            where,
                            kind,
                            response.status_code,
                            f"refused: {sorted(form_errors(response))}",
                        )
                    )
    return usable


def base_hints(found) -> dict:
    return FORM_HINTS.get(found.key[1], {})


def _working_base(outcome, client, found):
    """What a browser sends, then, where the page refuses it, each refused box filled as a
    person would (words in a text box, the first choice in a list): at most twice."""
    form = found.form
    base = {**form.base_data(), **base_hints(found)}
    for _attempt in range(3):
        response, _t = send(outcome, _post(client, found, base), keep=False)
        wrong = form_errors(response) - {"__all__"}
        if not wrong and "__all__" in form_errors(response):
            # The form as a whole wants more (at least one row filled): fill every empty box.
            wrong = {c.name for c in form.controls if c.kind != "skip" and not any(base.get(
                c.name) or [])}  # fmt: skip
        if response.status_code >= 500 or _succeeded(response) or not wrong:
            break
        for name in wrong:
            controls = [c for c in form.controls if c.name == name]
            if not controls:
                continue
            control = controls[0]
            if control.tag == "select":
                options = [v for v, _s in control.options if v]
                base[name] = options[:1]
            elif control.type in ("checkbox", "radio"):
                base[name] = [controls[0].value or "on"]
            else:
                base[name] = [hostile._valid_for(control)]
    return base, response


def _navigation(outcome, client, found, base, control):
    """A hidden box that is not data (where to go back to): hostile values must not break the
    page, whatever the view does with them."""
    for label, value in hostile.INVALID_TEXT.items():
        if label == "not utf-8":
            continue
        response, _t = send(outcome, _post(client, found, {**base, control.name: [value]}),
                            keep=False)  # fmt: skip
        outcome.kinds[f"navigation: {label}"] += 1
        if response.status_code >= 500:
            outcome.note_500(f"{found.key[1]} form {control.name} [{label}]", _short(value),
                             response)  # fmt: skip


def _raw_post(client, found, base, name):
    """A urlencoded body whose `name` is bytes that are not UTF-8."""
    from urllib.parse import quote_from_bytes, urlencode

    parts = [urlencode({k: v}, doseq=True) for k, v in base.items() if k != name]
    parts.append(
        f"{quote_from_bytes(name.encode())}={quote_from_bytes(b'ab' + bytes([0xFF, 0xFE]))}"
    )
    body = "&".join(p for p in parts if p)
    return lambda: client.post(
        found.form.action, body, content_type="application/x-www-form-urlencoded"
    )


def _page_refused(outcome, where, name, value, response, tables):
    outcome.curated += 1
    if response.status_code >= 500:
        outcome.note_500(where, _short(value), response)
        return
    problems = []
    status = response.status_code
    if value == b"\xff\xfe":
        # Refused before any form reads it (core.middleware.UndecodableFormMiddleware): the
        # request's message, as the API's parse error, since no field could be read.
        if status != 400:
            problems.append("not refused as a request that is not UTF-8")
    elif name == "version" and (status == 409 or "__all__" in form_errors(response)):
        pass  # a version no row has is a conflict: the page says so and shows the current one
    elif status in (302, 303):
        if tables or not _error_message(response):
            problems.append(f"accepted (redirect to {response.get('Location')})")
    elif name not in form_errors(response) and not _marked_in_html(response, name):
        problems.append(f"no message for {name}: {sorted(form_errors(response))}")
    if tables:
        problems.append(f"saved: {sorted(set(tables))}")
    if problems:
        outcome.wrong.append(
            Finding(where, _short(value), response.status_code, "; ".join(problems))
        )
    else:
        outcome.refused_well += 1


def pages_store(clients, outcome: Outcome, usable):
    for found in usable:
        form = _fresh(clients, found) or found.form
        data, _response = _working_base(outcome, clients[found.role], FoundForm(
            found.key, found.role, found.page, form))  # fmt: skip
        tags = {}
        for control in form.controls:
            if control.kind != "text" or control.type == "hidden":
                continue
            tag = hostile.new_tag()
            value = hostile.rendered_text(tag, control.max_length())
            if value:
                tags[control.name] = (tag, value)
        if not tags:
            continue
        for _attempt in range(3):
            body = {**data, **{n: [v] for n, (_t, v) in tags.items()}}
            response, _tables = send(
                outcome,
                lambda b=body, c=clients[found.role], a=form.action: c.post(a, b),
                keep=True,
            )
            refused = form_errors(response) & set(tags)
            if _succeeded(response) or not refused:
                break
            for name in refused:
                tags.pop(name)
        if _succeeded(response):
            for name, (tag, _v) in tags.items():
                outcome.stored_tags[tag] = f"page {found.key[1]} {name}"


def get_forms_run(clients, outcome: Outcome, get_forms):
    """Filters and searches: hostile text echoed back must be escaped; bad choices no 500."""
    for found in get_forms:
        data = found.form.base_data()
        for control in found.form.controls:
            if control.kind == "text":
                data[control.name] = [hostile.rendered_text(hostile.new_tag(), None)]
            elif control.kind in ("choice", "date", "datetime", "integer", "number"):
                bad = hostile.bad_control_values(control)
                data[control.name] = [next(iter(bad.values()))] if bad else data.get(control.name)
        url = found.form.action.split("?")[0]
        response = clients[found.role].get(url, {k: v for k, v in data.items() if v})
        outcome.requests += 1
        if response.status_code >= 500:
            outcome.note_500(f"GET {url} (filters)", "hostile filters", response)
        else:
            _check_escaped(outcome, f"GET {url} (filters) as {found.role}", response)


# --- reading back ---------------------------------------------------------------------------------

TAG = re.compile(r"zqH\d{4}q")
csv.field_size_limit(2**31 - 1)  # a stored 1 MB value must be read back, not crash the reader


def _check_escaped(outcome: Outcome, where, response):
    body = response.content.decode(errors="replace")
    for payload in hostile.RAW_PAYLOADS:
        if payload in body:
            outcome.unescaped.append(f"{where}: {payload}")
    outcome.seen_tags |= set(TAG.findall(body))


def _marked_rows():
    """Objects whose text columns hold a stored tag, by model."""
    found = {}
    for model in apps.get_models():
        texts = [
            f.name
            for f in model._meta.get_fields()
            if isinstance(f, models.CharField | models.TextField) and f.concrete
        ]
        if not texts:
            continue
        query = models.Q()
        for name in texts:
            query |= models.Q(**{f"{name}__contains": "zqH"})
        pks = list(model._default_manager.filter(query).values_list("pk", flat=True)[:20])
        if pks:
            found[model] = pks
    return found


def read_back(world, clients, outcome: Outcome):
    """Every page of the matrix, on the world's objects and on every object holding a stored
    value, as each role: payloads must arrive escaped; CSV exports neutralised."""
    marked = _marked_rows()
    routes = all_routes()
    kinds_by_model = {}
    for (kind, _owner), obj in world.owned.items():
        kinds_by_model.setdefault(type(obj), kind)
    for kind, obj in world.shared.items():
        if isinstance(obj, models.Model):
            kinds_by_model.setdefault(type(obj), kind)
    for role in ROLES:
        urls = dict(_page_urls(world, role))
        for name, url in list(urls.items()):
            _read(outcome, clients[role], f"{name} as {role}", url)
        for model, pks in marked.items():
            kind = kinds_by_model.get(model)
            if kind is None:
                continue
            for name, (route_kind, method, _rule) in matrix.ROUTES.items():
                route = routes.get(name)
                if route_kind != kind or method != "GET" or route is None or route.is_api:
                    continue
                maker = matrix.SCOPED_KINDS.get(kind) or matrix.SHARED_KINDS[kind]
                for obj in model._default_manager.filter(pk__in=pks):
                    url = url_for(route, {**matrix.FIXED_ARGS, **maker(obj)}, {})
                    _read(outcome, clients[role], f"{name} #{obj.pk} as {role}", url)


def _read(outcome, client, where, url):
    response = client.get(url)
    outcome.requests += 1
    if response.status_code >= 500:
        outcome.note_500(f"GET {url}", "stored payloads", response)
        return
    if response.status_code == 200:
        read_response(outcome, where, response)


def read_response(outcome, where, response):
    """Payloads must arrive escaped in HTML; exported cells holding a stored value must not
    start with a formula prefix."""
    content_type = response.get("Content-Type", "")
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if "csv" in content_type:
        outcome.exports_read += 1
        text = content.decode("utf-8-sig", errors="replace")
        for row in csv.reader(io.StringIO(text)):
            for cell in row:
                if TAG.search(cell):
                    outcome.seen_tags |= set(TAG.findall(cell))
                    if cell.startswith(("=", "+", "-", "@", "\t", "\r")):
                        outcome.unneutralised.append(f"{where}: {cell[:60]!r}")
        return
    if "html" in content_type:
        outcome.pages_read += 1
        body = content.decode(errors="replace")
        for payload in hostile.RAW_PAYLOADS:
            if payload in body:
                outcome.unescaped.append(f"{where}: {payload}")
        outcome.seen_tags |= set(TAG.findall(body))
