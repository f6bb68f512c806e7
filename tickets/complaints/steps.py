"""What each step asks for (the issue's table), as validators: `clean(step, data)` returns the data
to store or raises ValidationError naming every missing or wrong field. Pages, the API and tests
send the same dictionaries; the service decides the order."""

import datetime
from decimal import Decimal, InvalidOperation

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from servicedesk.core.models import Department

from .models import Remedy, Step

RESULTS = ("satisfied", "not_satisfied", "unreachable")
TEXT_LIMIT = 2000


class _Errors(dict):
    def add(self, field: str, message: str) -> None:
        self.setdefault(field, []).append(message)


def _text(data: dict, name: str, errors: _Errors, *, required: bool = True, limit=TEXT_LIMIT):
    value = data.get(name, "")
    if not isinstance(value, str):
        errors.add(name, _("Enter text."))
        return ""
    value = value.strip()
    if required and not value:
        errors.add(name, _("This step needs it."))
    elif len(value) > limit:
        errors.add(name, _("At most %(n)d characters.") % {"n": limit})
    return value


def _date(value, name: str, errors: _Errors, *, today: datetime.date, required=True):
    if value in (None, ""):
        if required:
            errors.add(name, _("This step needs it."))
        return None
    parsed = value if isinstance(value, datetime.date) else parse_date(str(value))
    if parsed is None:
        errors.add(name, _("Enter a date as YYYY-MM-DD."))
    elif parsed < today:
        errors.add(name, _("Choose a date that has not passed."))
    return parsed


def _respect(data, errors, now):
    words = _text(data, "words", errors, limit=500)
    said = data.get("said_at") or now.isoformat()
    said_at = said if isinstance(said, datetime.datetime) else parse_datetime(str(said))
    if said_at is None:
        errors.add("said_at", _("Enter a date and time."))
    elif said_at > now + datetime.timedelta(minutes=5):
        errors.add("said_at", _("It cannot be in the future."))
    return {"words": words, "said_at": said_at.isoformat() if said_at else None}


def _listen(data, errors, now):
    # 感受, 想要, 想法: what the customer feels, wants and thinks; and the facts gathered.
    return {name: _text(data, name, errors) for name in ("feeling", "want", "thinking", "facts")}


def _restate(data, errors, now):
    request = _text(data, "request", errors)
    confirmed = data.get("confirmed")
    if not isinstance(confirmed, bool):
        errors.add("confirmed", _("Say whether the customer confirmed it."))
    return {"request": request, "confirmed": confirmed}


def _options(data, errors, now):
    today = timezone.localdate(now)
    raw = data.get("options")
    if not isinstance(raw, list) or not raw:
        errors.add("options", _("List at least one option."))
        raw = []
    options = []
    for i, item in enumerate(raw):
        item = item if isinstance(item, dict) else {}
        sub = _Errors()
        description = _text(item, "description", sub, limit=500)
        remedy = item.get("remedy")
        if remedy not in Remedy.values:
            sub.add("remedy", _("Choose a remedy."))
        cost = item.get("cost")
        if cost not in (None, ""):
            try:
                cost = str(Decimal(str(cost)).quantize(Decimal("0.01")))
                if Decimal(cost) < 0:
                    sub.add("cost", _("A cost cannot be negative."))
            except (InvalidOperation, ValueError):
                sub.add("cost", _("Enter an amount."))
        department = item.get("department")
        if (
            department not in (None, "")
            and not Department.objects.filter(
                pk=department if isinstance(department, int) else -1, is_active=True
            ).exists()
        ):
            sub.add("department", _("Choose an active department."))
        when = _date(item.get("date"), "date", sub, today=today, required=False)
        for field, messages in sub.items():
            for message in messages:
                errors.add(f"options.{i}.{field}", message)
        options.append(
            {
                "description": description,
                "remedy": remedy,
                "cost": cost if cost not in (None, "") else None,
                "department": department or None,
                "date": when.isoformat() if isinstance(when, datetime.date) else None,
            }
        )
    choice = data.get("choice")
    if not isinstance(choice, int) or isinstance(choice, bool) or not 0 <= choice < len(options):
        errors.add("choice", _("Choose the option the customer took."))
    declined = []
    for i, item in enumerate(data.get("declined") or []):
        item = item if isinstance(item, dict) else {}
        sub = _Errors()
        # "你可以…": a request the desk cannot grant is answered with what it can do.
        request = _text(item, "request", sub, limit=500)
        alternative = _text(item, "alternative", sub, limit=500)
        for field, messages in sub.items():
            for message in messages:
                errors.add(f"declined.{i}.{field}", message)
        declined.append({"request": request, "alternative": alternative})
    return {"options": options, "choice": choice, "declined": declined}


def _act(data, errors, now):
    today = timezone.localdate(now)
    raw = data.get("actions")
    if not isinstance(raw, list) or not raw:
        errors.add("actions", _("Plan at least one action."))
        raw = []
    users = get_user_model().objects.filter(is_active=True)
    actions = []
    for i, item in enumerate(raw):
        item = item if isinstance(item, dict) else {}
        sub = _Errors()
        description = _text(item, "description", sub, limit=300)
        owner = item.get("owner")
        if not isinstance(owner, int) or not users.filter(pk=owner).exists():
            sub.add("owner", _("Choose who does it."))
        due = _date(item.get("due_date"), "due_date", sub, today=today)
        record = item.get("record")
        if record not in (None, "") and (not isinstance(record, int) or isinstance(record, bool)):
            sub.add("record", _("Give the linked record's id."))
        for field, messages in sub.items():
            for message in messages:
                errors.add(f"actions.{i}.{field}", message)
        actions.append(
            {
                "description": description,
                "owner": owner,
                "due_date": due.isoformat() if isinstance(due, datetime.date) else None,
                "record": item.get("record") or None,
            }
        )
    return {"actions": actions}


def _recheck(data, errors, now):
    result = data.get("result")
    if result not in RESULTS:
        errors.add("result", _("Say whether the customer is satisfied."))
    note = _text(data, "note", errors, required=result == "unreachable")
    return {"result": result, "note": note}


CLEANERS = {
    Step.RESPECT: _respect,
    Step.LISTEN: _listen,
    Step.RESTATE: _restate,
    Step.OPTIONS: _options,
    Step.ACT: _act,
    Step.RECHECK: _recheck,
}


def clean(step: str, data, *, now=None) -> dict:
    if not isinstance(data, dict):
        raise ValidationError({"data": [_("Send the step's fields as an object.")]})
    errors = _Errors()
    cleaned = CLEANERS[step](data, errors, now or timezone.now())
    if errors:
        raise ValidationError(dict(errors))
    return cleaned
