"""Forms of the root-cause pages. Choices of people and bones are read once per page and handed
to every form (a ModelChoiceField per row would query once per select it draws)."""

from datetime import timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from servicedesk.core.exceptions import DomainError
from servicedesk.core.forms import DeskDateField, add_service_error
from servicedesk.core.models import Department

from .models import MAX_WHYS

MAX_PERIOD_DAYS = 366
DEFAULT_PERIOD_DAYS = 90
ACTION_ROWS = 3
NEEDED = _("Needed for this row.")


def _choice(label, choices, *, required=True, **kwargs):
    return forms.TypedChoiceField(
        label=label,
        choices=[("", "—"), *choices],
        coerce=int,
        empty_value=None,
        required=required,
        **kwargs,
    )


class ServiceErrorsMixin:
    """Puts a service's DomainError on the input it names: the service counts rows as it got
    them (blank rows left out), the page numbers them as it shows them."""

    service_fields: dict[str, str] = {}
    row_prefix = ""  # the service's name for the list of rows, e.g. "corrective_actions"

    def refuse(self, exc: DomainError) -> None:
        field = exc.field or ""
        parts = field.split(".")
        if self.row_prefix and len(parts) == 3 and parts[0] == self.row_prefix:
            rows = [n for n, _values in self.rows()]
            index = int(parts[1])
            if index < len(rows):
                exc.field = self.row_field(rows[index], parts[2])
        else:
            exc.field = self.service_fields.get(field, field) or None
        add_service_error(self, exc)


class RowsMixin:
    """Numbered rows of fields (action_1_owner, …); a row left wholly blank is ignored, a row
    started must be finished."""

    row_count = ACTION_ROWS
    row_name = "action"
    row_parts: tuple[str, ...] = ()

    def row_field(self, n: int, part: str) -> str:
        return f"{self.row_name}_{n}_{part}"

    def rows(self) -> list[tuple[int, dict]]:
        out = []
        for n in range(1, self.row_count + 1):
            values = {p: self.cleaned_data.get(self.row_field(n, p)) for p in self.row_parts}
            if any(v not in (None, "") for v in values.values()):
                out.append((n, values))
        return out

    def clean(self):
        data = super().clean()
        for n, values in self.rows():
            for part, value in values.items():
                name = self.row_field(n, part)
                if value in (None, "") and name not in self.errors:
                    self.add_error(name, NEEDED)
        return data

    def row_bound_fields(self) -> list[list]:
        return [
            [self[self.row_field(n, p)] for p in self.row_parts]
            for n in range(1, self.row_count + 1)
        ]


def _why_fields(form) -> None:
    for n in range(1, MAX_WHYS + 1):
        form.fields[f"why_{n}"] = forms.CharField(
            label=_("Why %(n)d") % {"n": n}, required=False, max_length=500
        )


class WhysMixin:
    def whys(self) -> list[str]:
        return [self.cleaned_data.get(f"why_{n}") or "" for n in range(1, MAX_WHYS + 1)]

    def why_bound_fields(self) -> list:
        return [self[f"why_{n}"] for n in range(1, MAX_WHYS + 1)]


# --- the fishbone's filter -----------------------------------------------------------------------


class FishboneFilterForm(forms.Form):
    """?from=YYYY-MM-DD&to=YYYY-MM-DD&department=ID; `from` is a Python keyword, hence __init__."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["from"] = DeskDateField(label=_("Closed from"), required=False)
        self.fields["to"] = DeskDateField(label=_("Closed to (inclusive)"), required=False)
        self.fields["department"] = forms.ModelChoiceField(
            label=_("Responsible department"),
            queryset=Department.objects.filter(is_active=True),
            required=False,
            empty_label=_("All departments"),
        )

    def clean(self):
        data = super().clean()
        today = timezone.localdate()
        since, until = data.get("from"), data.get("to")
        if self.errors:
            return data
        # One end given: the other follows from the default period.
        until = until or max(today, since or today)
        since = since or until - timedelta(days=DEFAULT_PERIOD_DAYS - 1)
        if until < since:
            raise ValidationError(_("The end of the period is before its start."))
        if (until - since).days >= MAX_PERIOD_DAYS:
            raise ValidationError(
                _("Choose at most %(n)d days; compare longer periods one after another.")
                % {"n": MAX_PERIOD_DAYS}
            )
        data["from"], data["to"] = since, until
        return data


# --- a complaint's cause -------------------------------------------------------------------------


class CauseForm(ServiceErrorsMixin, RowsMixin, WhysMixin, forms.Form):
    row_prefix = "corrective_actions"
    row_parts = ("description", "owner", "due_date")
    service_fields = {"whys": "why_1", "complaint": ""}

    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, bones=(), users=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["bone"] = _choice(
            _("Bone"), bones, help_text=_("Where on the fishbone the root cause sits.")
        )
        _why_fields(self)
        self.fields["why_1"].help_text = _(
            "Ask why the problem happened, then why that happened, up to five times; "
            "blank ones are left out."
        )
        self.fields["summary"] = forms.CharField(
            label=_("Root cause"),
            max_length=2000,
            widget=forms.Textarea(attrs={"rows": 2}),
            help_text=_("The cause the whys lead to, in a sentence."),
        )
        for n in range(1, self.row_count + 1):
            self.fields[self.row_field(n, "description")] = forms.CharField(
                label=_("Corrective action %(n)d") % {"n": n}, required=False, max_length=300
            )
            self.fields[self.row_field(n, "owner")] = _choice(
                _("Person responsible"), users, required=False
            )
            self.fields[self.row_field(n, "due_date")] = DeskDateField(
                label=_("Due"), required=False
            )

    def corrective_actions(self) -> list[dict]:
        return [
            {"description": v["description"], "owner_id": v["owner"], "due_date": v["due_date"]}
            for _n, v in self.rows()
        ]


# --- the workshop --------------------------------------------------------------------------------


class WorkshopForm(ServiceErrorsMixin, forms.Form):
    problem = forms.CharField(
        label=_("Problem (written at the head)"),
        max_length=300,
        help_text=_("What went wrong, as the complaints show it, e.g. “Installers arrive late”."),
    )
    held_on = DeskDateField(label=_("Held on"))
    period_from = DeskDateField(label=_("Complaints from"), required=False)
    period_to = DeskDateField(label=_("Complaints to"), required=False)

    def __init__(self, *args, users=(), departments=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"] = _choice(_("Department"), departments, required=False)
        self.fields["facilitator"] = _choice(_("Facilitator"), users)
        self.fields["participants"] = forms.TypedMultipleChoiceField(
            label=_("Participants"),
            choices=users,
            coerce=int,
            required=False,
            widget=forms.SelectMultiple(attrs={"size": 8}),
            help_text=_("The facilitator takes part as well."),
        )


class ParticipantsForm(ServiceErrorsMixin, forms.Form):
    def __init__(self, *args, users=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["participants"] = forms.TypedMultipleChoiceField(
            label=_("Add participants"),
            choices=users,
            coerce=int,
            widget=forms.SelectMultiple(attrs={"size": 6}),
        )


class WorkshopCauseForm(ServiceErrorsMixin, WhysMixin, forms.Form):
    service_fields = {"whys": "why_1"}

    def __init__(self, *args, bones=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["bone"] = _choice(_("Bone"), bones)
        self.fields["text"] = forms.CharField(label=_("Cause"), max_length=300)
        _why_fields(self)


class SolutionForm(ServiceErrorsMixin, forms.Form):
    text = forms.CharField(label=_("Solution"), max_length=300)


class ChooseForm(ServiceErrorsMixin, RowsMixin, forms.Form):
    """Up to three solutions chosen at once, each with its owner and due date."""

    row_prefix = "choices"
    row_name = "choice"
    row_parts = ("solution", "owner", "due_date")
    service_fields = {"solutions": "", "choices": ""}

    def __init__(self, *args, solutions=(), users=(), **kwargs):
        super().__init__(*args, **kwargs)
        for n in range(1, self.row_count + 1):
            self.fields[self.row_field(n, "solution")] = _choice(
                _("Solution %(n)d") % {"n": n}, solutions, required=False
            )
            self.fields[self.row_field(n, "owner")] = _choice(
                _("Person responsible"), users, required=False
            )
            self.fields[self.row_field(n, "due_date")] = DeskDateField(
                label=_("Due"), required=False
            )

    def choices(self) -> list[dict]:
        return [
            {"solution_id": v["solution"], "owner_id": v["owner"], "due_date": v["due_date"]}
            for _n, v in self.rows()
        ]
