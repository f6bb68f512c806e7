"""Hostile values, and where to send them: derived from the OpenAPI schema and from the forms the
staff pages actually serve, so a new field is covered without editing this file.

Two families of values:
- VALID text that a person could type (XSS, RTL override, spreadsheet formula prefixes): the desk
  may store it, and must then show it escaped and export it neutralised;
- INVALID values (1 MB strings, NUL bytes, text that is not UTF-8, out-of-range numbers, malformed
  dates, unknown choices): refused with a 4xx naming the field, and nothing saved.
"""

import itertools
import re
from dataclasses import dataclass, field
from datetime import timedelta
from html.parser import HTMLParser

from django.utils import timezone

XSS_SCRIPT = "<script>alert(1)</script>"
XSS_IMG = '"><img src=x onerror=alert(1)>'
# What must never reach a page unescaped (the img payload without its leading quote: the tag
# itself is what a browser would run).
RAW_PAYLOADS = (XSS_SCRIPT, "<img src=x onerror=alert(1)>")
RTL = "\u202e"
MEGABYTE = "A" * (1024 * 1024)
FORMULA_PREFIXES = ("=", "+", "-", "@")

_tags = itertools.count(1)


def new_tag() -> str:
    """A marker unique in the run, so a stored value can be found again on any page."""
    return f"zqH{next(_tags):04d}q"


def valid_text(tag: str) -> dict[str, str]:
    """Text a person may type: kind → value (every one carries the tag)."""
    return {
        "xss-script": f"{tag} {XSS_SCRIPT}",
        "xss-img": f"{tag}{XSS_IMG}",
        "rtl": f"{tag} {RTL}gnp.exe",
        "formula =": f'=HYPERLINK("http://evil.example","{tag}")',
        "formula +": f"+1+{tag}",
        "formula -": f"-1+{tag}",
        "formula @": f"@SUM({tag})",
    }


# Invalid text: kind → value. "not utf-8" is a lone surrogate, the form invalid UTF-8 takes once a
# JSON parser has read `"\udc80"`; a raw invalid body is sent per operation besides.
INVALID_TEXT = {"1 MB": MEGABYTE, "NUL": "ab\x00cd", "not utf-8": "ab\udc80cd"}


def rendered_text(tag: str, max_length: int | None) -> str:
    """One stored value carrying every valid kind at once (formula first, so exports see it)."""
    full = f"={tag}{XSS_SCRIPT}{XSS_IMG}{RTL}"
    if max_length is None or len(full) <= max_length:
        return full
    short = f"={tag}{XSS_SCRIPT}"
    return short if len(short) <= max_length else ""


# --- values by type -------------------------------------------------------------------------------


def bad_integers(minimum=None, maximum=None) -> dict[str, object]:
    values = {"not a number": "abc", "fraction": 1.5, "beyond 64 bits": 2**64}
    if minimum is not None:
        values["below minimum"] = minimum - 1
    if maximum is not None and maximum < 2**63 - 1:
        values["above maximum"] = maximum + 1
    return values


BAD_DECIMALS = {"not a number": "abc", "NaN": "NaN", "infinite": "Infinity", "huge": "1e400"}
BAD_DATES = {"month 13": "2026-13-45", "words": "next tuesday", "year 99999": "99999-01-01"}
BAD_DATETIMES = {
    "30 February": "2026-02-30T10:00:00Z",
    "hour 25": "2026-01-01T25:00:00Z",
    "words": "yesterday",
    "year 10000": "10000-01-01T00:00:00Z",
}
BAD_TIMES = {"hour 25": "25:61", "words": "noon"}
BAD_CHOICES = {"unknown choice": "bogus", "script as choice": XSS_SCRIPT, "number": 7}
BAD_BOOLEANS = {"not a boolean": "perhaps"}


def tomorrow_at_ten():
    moment = timezone.localtime() + timedelta(days=1)
    return moment.replace(hour=10, minute=0, second=0, microsecond=0)


# --- the OpenAPI side -----------------------------------------------------------------------------


class Schema:
    """The served OpenAPI document, with $ref / allOf / oneOf folded away."""

    def __init__(self, document: dict):
        self.document = document
        self.components = document["components"]["schemas"]

    def resolve(self, prop: dict) -> dict:
        if "$ref" in prop:
            return self.resolve(self.components[prop["$ref"].rsplit("/", 1)[-1]])
        if "allOf" in prop:
            merged = {k: v for k, v in prop.items() if k != "allOf"}
            for part in prop["allOf"]:
                merged = {**self.resolve(part), **merged}
            return merged
        if "oneOf" in prop:
            # drf-spectacular writes a blank-able choice as oneOf[the enum, [""]]: the first part
            # says what the field is.
            return {**self.resolve(prop["oneOf"][0]), "nullable": prop.get("nullable", False)}
        return prop

    def writes(self):
        """(method, path, media type, body schema) for every operation that takes a body."""
        for path, operations in self.document["paths"].items():
            for method, operation in operations.items():
                if method not in ("post", "put", "patch") or "requestBody" not in operation:
                    continue
                content = operation["requestBody"]["content"]
                media = next(iter(content))
                yield method, path, media, self.resolve(content[media]["schema"])


def prop_kind(prop: dict) -> str:
    """text, integer, number, decimal, date, date-time, time, choice, boolean, array, object,
    binary."""
    if "enum" in prop:
        return "choice"
    kind, fmt = prop.get("type"), prop.get("format")
    if kind == "string":
        if fmt in ("date", "date-time", "time", "decimal", "binary"):
            return fmt
        # A pattern that lists words is a choice written as a regex (`^(reply|note)$`).
        if re.fullmatch(r"\^\(?[\w|]+\)?\??\$", prop.get("pattern", "")):
            return "choice"
        return "text"
    return kind or "object"


def pattern_choices(prop: dict) -> list[str]:
    if "enum" in prop:
        return [v for v in prop["enum"] if v not in ("", None)]
    inner = re.fullmatch(r"\^\(?([\w|]+)\)?\??\$", prop.get("pattern", ""))
    return inner.group(1).split("|") if inner else []


def bad_values(kind: str, prop: dict) -> dict[str, object]:
    """Out-of-range and malformed values for a non-text property."""
    if kind == "integer":
        return bad_integers(prop.get("minimum"), prop.get("maximum"))
    if kind == "number":
        return {"not a number": "abc", "huge": "1e400"}
    return {
        "decimal": BAD_DECIMALS,
        "date": BAD_DATES,
        "date-time": BAD_DATETIMES,
        "time": BAD_TIMES,
        "choice": BAD_CHOICES,
        "boolean": BAD_BOOLEANS,
    }.get(kind, {})


# --- the page side: forms as a browser sees them --------------------------------------------------


@dataclass
class Control:
    name: str
    tag: str  # input, textarea, select
    type: str = "text"  # the input's type; "textarea"; "select"
    value: str = ""
    required: bool = False
    attrs: dict = field(default_factory=dict)
    options: list = field(default_factory=list)  # select: (value, selected)
    checked: bool = False
    multiple: bool = False

    @property
    def kind(self) -> str:
        """What the control takes: text, integer, number, date, datetime, time, choice, boolean,
        file, or skip."""
        if self.tag == "textarea":
            return "text"
        if self.tag == "select":
            return "choice"
        kind = self.type
        if kind in ("text", "search", "email", "tel", "url"):
            return "text"
        if kind == "number":
            step = self.attrs.get("step", "1")
            return "integer" if step in ("1", "") else "number"
        if kind in ("date", "time"):
            return kind
        if kind == "datetime-local":
            return "datetime"
        if kind in ("checkbox", "radio"):
            return "boolean" if kind == "checkbox" else "choice"
        if kind == "hidden":
            if self.name == "csrfmiddlewaretoken":
                return "skip"
            if self.value in ("0", "1") and self.name != "version":
                return "boolean"  # a toggle's value (share / unshare)
            return "integer" if self.value.isdigit() else "text"
        if kind == "file":
            return "file"
        return "skip"  # password, submit, button

    def max_length(self) -> int | None:
        value = self.attrs.get("maxlength")
        return int(value) if value and value.isdigit() else None


@dataclass
class PageForm:
    action: str
    method: str
    controls: list = field(default_factory=list)
    source: str = ""  # the page it was found on

    def names(self) -> tuple:
        return tuple(sorted({c.name for c in self.controls if c.kind != "skip"}))

    def control(self, name: str) -> Control:
        return next(c for c in self.controls if c.name == name)

    def base_data(self) -> dict:
        """What a browser would send, with each empty required control filled validly."""
        data: dict[str, list] = {}
        radios_done = set()
        for c in self.controls:
            if c.kind == "skip" and c.name != "csrfmiddlewaretoken":
                continue
            if c.type == "radio":
                if c.checked or (c.required and c.name not in radios_done):
                    data[c.name] = [c.value]
                    radios_done.add(c.name)
                continue
            if c.type == "checkbox":
                if c.checked or c.required:
                    data.setdefault(c.name, []).append(c.value or "on")
                continue
            if c.tag == "select":
                chosen = [v for v, selected in c.options if selected]
                if not chosen and c.options and not c.multiple:
                    # Unselected: the first real choice (a person picks one), else the blank.
                    non_blank = [v for v, _ in c.options if v != ""]
                    chosen = non_blank[:1] or [c.options[0][0]]
                data[c.name] = chosen
                continue
            value = c.value
            if not value and c.required:
                value = _valid_for(c)
            data[c.name] = [value]
        return data


def _valid_for(c: Control) -> str:
    kind = c.kind
    if kind == "integer":
        return c.attrs.get("min") or "1"
    if kind == "number":
        return c.attrs.get("min") or "1"
    if kind == "date":
        return (timezone.localdate() + timedelta(days=1)).isoformat()
    if kind == "datetime":
        return tomorrow_at_ten().strftime("%Y-%m-%dT%H:%M")
    if kind == "time":
        return "10:00"
    if c.type == "email":
        return "someone@example.com"
    if c.type == "tel":
        return "13800138000"
    return "Plain words"


def bad_control_values(c: Control) -> dict[str, object]:
    kind = c.kind
    if kind == "integer":
        low, high = c.attrs.get("min"), c.attrs.get("max")
        values = {"not a number": "abc", "fraction": "1.5", "beyond 64 bits": str(2**64)}
        if low not in (None, "") and _is_int(low):
            values["below minimum"] = str(int(low) - 1)
        if high not in (None, "") and _is_int(high):
            values["above maximum"] = str(int(high) + 1)
        return values
    if kind == "number":
        return {"not a number": "abc", "huge": "1e400", "NaN": "NaN"}
    if kind == "date":
        return BAD_DATES
    if kind == "datetime":
        return {k: v.removesuffix("Z") for k, v in BAD_DATETIMES.items()}
    if kind == "time":
        return BAD_TIMES
    if kind == "choice":
        return {"unknown choice": "bogus", "script as choice": XSS_SCRIPT}
    return {}


def _is_int(text: str) -> bool:
    return bool(re.fullmatch(r"-?\d+", text))


class FormParser(HTMLParser):
    """The forms of one page: <form> elements, and htmx's hx-post on anything."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[PageForm] = []
        self._current: PageForm | None = None
        self._textarea: Control | None = None
        self._select: Control | None = None
        self._option: list | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            method = (a.get("method") or ("post" if "hx-post" in a else "get")).lower()
            action = a.get("hx-post") or a.get("action", "")
            self._current = PageForm(action=action, method=method)
            self.forms.append(self._current)
            return
        form = self._current
        if form is None or "name" not in a and tag != "option":
            return
        if tag == "input":
            form.controls.append(
                Control(
                    name=a["name"],
                    tag="input",
                    type=a.get("type", "text").lower(),
                    value=a.get("value", ""),
                    required="required" in a,
                    attrs=a,
                    checked="checked" in a,
                )
            )
        elif tag == "textarea":
            self._textarea = Control(
                name=a["name"], tag="textarea", type="textarea", required="required" in a, attrs=a
            )
            form.controls.append(self._textarea)
        elif tag == "select":
            self._select = Control(
                name=a["name"],
                tag="select",
                type="select",
                required="required" in a,
                attrs=a,
                multiple="multiple" in a,
            )
            form.controls.append(self._select)
        elif tag == "option" and self._select is not None:
            if self._option is not None:
                self._close_option()
            self._option = [a.get("value"), "selected" in a, ""]
            self._select.options.append(self._option)

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea.value += data
        if self._option is not None:
            self._option[2] += data

    def handle_endtag(self, tag):
        if tag == "textarea":
            if self._textarea is not None:
                # HTML drops the newline right after <textarea>; a browser sends the rest.
                self._textarea.value = self._textarea.value.removeprefix("\n")
            self._textarea = None
        elif tag == "option" and self._option is not None:
            self._close_option()
        elif tag == "select":
            if self._option is not None:
                self._close_option()
            self._select = None
        elif tag == "form":
            self._current = None

    def _close_option(self):
        option = self._option
        if option[0] is None:
            option[0] = option[2].strip()
        del option[2]
        self._option = None


def page_forms(html: str) -> list[PageForm]:
    parser = FormParser()
    parser.feed(html)
    parser.close()
    for form in parser.forms:
        for c in form.controls:
            if c.tag == "select":
                c.options = [(o[0] if o[0] is not None else "", o[1]) for o in c.options]
    return parser.forms
