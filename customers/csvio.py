"""CSV in and out: reading and checking an upload row by row, and writing a safe export.

Nothing here writes to the database; customers/imports.py does, after the user confirms.
"""

import contextlib
import csv
import io
from collections.abc import Iterable, Iterator

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .contactpoints import normalise_email, normalise_phone, split_values
from .models import CLASSIFICATIONS, ContactPoint, ContactPointKind, Customer, CustomerKind

# The export writes these columns and the import reads them (any subset that includes "name").
COLUMNS = [
    "name",
    "kind",
    *CLASSIFICATIONS,
    "region",
    "owner",
    "tags",
    "contact_name",
    "phones",
    "emails",
    "preferences",
    "notes",
]
CHOICE_COLUMNS = {"kind": CustomerKind, **CLASSIFICATIONS}
MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000
MAX_LISTED_ERRORS = 1000  # all are counted; this many are kept to show
ENCODINGS = {"utf-8": "UTF-8", "gb18030": "GB18030 (GBK)"}


class CsvFileError(Exception):
    """The file as a whole cannot be read (encoding, header, size): no row is looked at."""


# --- formula injection ------------------------------------------------------------------------

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value) -> str:
    """Make a cell inert in spreadsheets: text starting with = + - @ tab or CR gets a leading '.

    Excel, LibreOffice and Google Sheets run such cells as formulas (OWASP "CSV injection"); a
    leading apostrophe makes them plain text. Applies to every exported cell, phone numbers
    included (+86… shows as text, which is what a phone number is).
    """
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def write_csv(rows: Iterable[Iterable], out) -> None:
    writer = csv.writer(out)
    for row in rows:
        writer.writerow([neutralise_cell(v) for v in row])


def export_rows(customers: Iterable[Customer]) -> Iterator[list]:
    """The header, then one row per customer (needs contact_points, tags and owner loaded)."""
    yield COLUMNS
    for c in customers:
        points = list(c.contact_points.all())
        yield [
            c.name,
            c.kind,
            *(getattr(c, f) for f in CLASSIFICATIONS),
            c.region,
            c.owner.get_username() if c.owner else "",
            "; ".join(t.name for t in c.tags.all()),
            "",
            "; ".join(p.value for p in points if p.kind == ContactPointKind.PHONE),
            "; ".join(p.value for p in points if p.kind == ContactPointKind.EMAIL),
            c.preferences,
            c.notes,
        ]


# --- reading ----------------------------------------------------------------------------------


def decode(data: bytes, encoding: str = "utf-8") -> str:
    if len(data) > MAX_BYTES:
        raise CsvFileError(
            _("The file is larger than %(mb)s MB. Split it into smaller files.")
            % {"mb": MAX_BYTES // (1024 * 1024)}
        )
    if encoding not in ENCODINGS:
        raise CsvFileError(_("Unknown encoding."))
    # utf-8-sig accepts the byte-order mark Excel writes with "CSV UTF-8" and plain UTF-8 alike.
    codec = "utf-8-sig" if encoding == "utf-8" else encoding
    try:
        return data.decode(codec)
    except UnicodeDecodeError as exc:
        raise CsvFileError(
            _(
                "The file is not valid %(encoding)s text (byte %(pos)s). Save it from your "
                "spreadsheet as “CSV UTF-8”, or choose GB18030 if it came from Chinese Excel."
            )
            % {"encoding": ENCODINGS[encoding], "pos": exc.start}
        ) from exc


def read_rows(text: str) -> tuple[list[str], list[dict]]:
    """The normalised header and the data rows as dicts; header problems raise CsvFileError."""
    if "\x00" in text:
        raise CsvFileError(_("This is not a text file. Upload a CSV file."))
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration as exc:
        raise CsvFileError(_("The file is empty.")) from exc
    except csv.Error as exc:
        raise CsvFileError(_("The file is not a readable CSV file.")) from exc
    header = [h.strip().lower() for h in header]
    unknown = [h for h in header if h not in COLUMNS]
    missing = "name" not in header
    dupes = {h for h in header if header.count(h) > 1}
    if unknown or missing or dupes:
        parts = []
        if missing:
            parts.append(_("the column “name” is required"))
        if unknown:
            parts.append(_("unknown columns: %(cols)s") % {"cols": ", ".join(unknown)})
        if dupes:
            parts.append(_("repeated columns: %(cols)s") % {"cols": ", ".join(sorted(dupes))})
        raise CsvFileError(
            _("The header row is wrong: %(problems)s. Expected columns: %(expected)s.")
            % {"problems": "; ".join(parts), "expected": ", ".join(COLUMNS)}
        )
    rows = []
    try:
        for values in reader:
            if not any(v.strip() for v in values):
                continue  # blank lines are not rows
            if len(rows) >= MAX_ROWS:
                raise CsvFileError(
                    _("The file has more than %(max)s rows. Split it into smaller files.")
                    % {"max": MAX_ROWS}
                )
            extra = values[len(header) :]
            row = {h: (values[i].strip() if i < len(values) else "") for i, h in enumerate(header)}
            row["_line"] = reader.line_num
            row["_extra"] = any(v.strip() for v in extra)
            rows.append(row)
    except csv.Error as exc:
        raise CsvFileError(
            _("Line %(line)s cannot be read as CSV: %(error)s")
            % {"line": reader.line_num, "error": exc}
        ) from exc
    return header, rows


class RowChecker:
    """Checks rows one by one; looks up owners and existing phones/e-mails in bulk."""

    def __init__(self, rows: list[dict]):
        from django.contrib.auth import get_user_model

        names = {r.get("owner", "") for r in rows} - {""}
        self.owners = dict(
            get_user_model()
            .objects.filter(username__in=names, is_active=True)
            .values_list("username", "pk")
        )
        self.seen: dict[tuple[str, str], int] = {}  # (kind, value) → first line in this file
        self.on_file: set[tuple[str, str]] = set()
        self._rows = rows

    def load_existing(self, cleaned: list[dict]) -> None:
        """One query per 1,000 values: which of the file's phones/e-mails are already on file."""
        values = {(k, v) for row in cleaned for k, v in _points(row)}
        for kind in (ContactPointKind.PHONE, ContactPointKind.EMAIL):
            wanted = sorted(v for k, v in values if k == kind)
            for i in range(0, len(wanted), 1000):
                found = ContactPoint.objects.filter(
                    kind=kind, value__in=wanted[i : i + 1000], customer__is_archived=False
                ).values_list("value", flat=True)
                self.on_file.update((kind, v) for v in found)

    def clean(self, row: dict) -> tuple[dict | None, list[dict]]:
        line = row["_line"]
        errors = []

        def err(column, message):
            errors.append({"row": line, "column": column, "message": str(message)})

        if row["_extra"]:
            err("", _("This row has more cells than the header."))
        out = {"name": row.get("name", "")}
        if not out["name"]:
            err("name", _("Enter the customer's name."))
        elif len(out["name"]) > 200:
            err("name", _("At most 200 characters."))
        for column, choices in CHOICE_COLUMNS.items():
            value = row.get(column, "").lower()
            if not value:
                continue
            if value not in choices.values:
                err(
                    column,
                    _("“%(value)s” is not one of: %(allowed)s.")
                    % {"value": row[column], "allowed": ", ".join(choices.values)},
                )
            else:
                out[column] = value
        for column, limit in (("region", 80), ("contact_name", 120)):
            if len(row.get(column, "")) > limit:
                err(column, _("At most %(n)s characters.") % {"n": limit})
            out[column] = row.get(column, "")
        for column in ("preferences", "notes"):
            out[column] = row.get(column, "")
        owner = row.get("owner", "")
        if owner and owner not in self.owners:
            err("owner", _("No active user “%(name)s”.") % {"name": owner})
        out["owner_id"] = self.owners.get(owner)
        out["tags"] = [t[:50] for t in split_values(row.get("tags", ""))]
        for column, fn in (("phones", normalise_phone), ("emails", normalise_email)):
            out[column] = []
            for value in split_values(row.get(column, "")):
                try:
                    clean = fn(value)
                except ValidationError as exc:
                    err(column, exc.messages[0])
                    continue
                if clean not in out[column]:
                    out[column].append(clean)
        if not errors:
            kind_of = {"phones": ContactPointKind.PHONE, "emails": ContactPointKind.EMAIL}
            for column in ("phones", "emails"):
                for value in out[column]:
                    key = (kind_of[column], value)
                    if key in self.seen:
                        err(
                            column,
                            _("%(value)s is already in line %(line)s of this file.")
                            % {"value": value, "line": self.seen[key]},
                        )
                    elif key in self.on_file:
                        err(
                            column,
                            _("%(value)s is already on file for another customer.")
                            % {"value": value},
                        )
        if errors:
            return None, errors
        for key in _points(out):
            self.seen[key] = line
        out["line"] = line
        return out, []


def _points(row: dict):
    for value in row.get("phones", []):
        yield ContactPointKind.PHONE, value
    for value in row.get("emails", []):
        yield ContactPointKind.EMAIL, value


def check_rows(rows: list[dict]) -> tuple[list[dict], list[dict]]:
    """(valid cleaned rows, errors per row and column) for every row of the file."""
    checker = RowChecker(rows)
    # Existing phones/e-mails are looked up once for the whole file, from a first quick pass.
    first_pass = []
    for row in rows:
        phones, emails = [], []
        for column, fn, bucket in (
            ("phones", normalise_phone, phones),
            ("emails", normalise_email, emails),
        ):
            for value in split_values(row.get(column, "")):
                # Bad values are reported by the full check below; here they are just skipped.
                with contextlib.suppress(ValidationError):
                    bucket.append(fn(value))
        first_pass.append({"phones": phones, "emails": emails})
    checker.load_existing(first_pass)
    valid, errors = [], []
    for row in rows:
        clean, row_errors = checker.clean(row)
        if clean is None:
            errors.extend(row_errors)
        else:
            valid.append(clean)
    return valid, errors
