"""Hostile values sent to every API write, read from the served OpenAPI schema (the API half of
tests/security/badinput.py's run)."""

import json
from dataclasses import dataclass, field

from django.test import Client
from django.urls import resolve

from servicedesk.core import services as core_services

from . import hostile, matrix
from .badinput import (
    BODY_HINTS,
    ID_PROPERTIES,
    Finding,
    Outcome,
    _short,
    _snippet,
    row_counts,
    send,
)
from .world import OWNER

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
    outcome.note_refusal(where, value, response, problems, tables)


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
