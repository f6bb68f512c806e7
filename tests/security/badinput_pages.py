"""Hostile values sent to every staff form, found in the HTML the staff pages serve (the pages' half
of tests/security/badinput.py's run)."""

import csv
import io
import re
from dataclasses import dataclass

from django.apps import apps
from django.db import models
from django.forms import BaseForm, BaseFormSet
from django.test import Client
from django.urls import Resolver404, resolve

from . import hostile, matrix
from .badinput import (
    FORM_HINTS,
    ROLES,
    SKIP_ACTIONS,
    SKIP_PAGES,
    UNREACHABLE_FORMS,
    Finding,
    Outcome,
    _short,
    row_counts,
    send,
)
from .routes import all_routes, url_for

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
    outcome.note_refusal(where, value, response, problems, tables)


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
