"""The complaint page's step forms. They only read the browser's input into the dictionaries the
step service takes (tickets.complaints.steps checks them, the same way for pages and the API); the
service's field errors come back onto these forms through `StepForms.add_errors`."""

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import NON_FIELD_ERRORS
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from customers.models import ManagementTier
from servicedesk.core.forms import DeskDateField, UserChoiceField
from servicedesk.core.limits import LONG_TEXT_MAX
from servicedesk.core.models import Department

from ..models import ServiceCategory, Stage
from .models import Channel, Remedy, Severity, Step

# The seed's words for step 1 (可以用一些缓解情绪的话).
RESPECT_PHRASES = [
    _("Thank you for telling me about this."),  # 谢谢您把情况告诉我
    _("I apologise for the inconvenience this has caused you."),  # 给您带来不便,我向您道歉
    _("Let me write down what we must put right."),  # 让我把应该改正的地方记录下来
    _("We should not have given you such poor service."),  # 我们不应该给您提供这样糟糕的服务
]
OPTION_ROWS = 3
DECLINED_ROWS = 2
ACTION_ROWS = 3
TEXT = forms.Textarea(attrs={"rows": 2})
User = get_user_model()


class ComplaintOpenForm(forms.Form):
    """受理与判断: what came in, how serious it is, and whether the customer asked for a manager."""

    category = forms.ModelChoiceField(
        label=_("Category"),
        queryset=ServiceCategory.objects.filter(is_active=True).order_by("stage", "sort_order"),
        help_text=_("Its stage is the complaint's: pre-sale, in-sale or after-sale."),
    )
    subject = forms.CharField(label=_("Subject"), max_length=200)
    description = forms.CharField(
        max_length=LONG_TEXT_MAX, label=_("What the customer said"), widget=TEXT, required=False
    )
    channel = forms.ChoiceField(label=_("Came in by"), choices=Channel.choices)
    severity = forms.ChoiceField(
        label=_("Severity"),
        choices=Severity.choices,
        help_text=_("Sets the record's priority, so its time targets apply."),
    )
    wants_manager = forms.BooleanField(
        label=_("The customer asked for a manager"),
        required=False,
        help_text=_("The department's managers are told at once."),
    )
    responsible_department = forms.ModelChoiceField(
        label=_("Responsible department (责任环节)"),
        queryset=Department.objects.filter(is_active=True).order_by("code"),
        required=False,
    )


class ComplaintListForm(forms.Form):
    """The list's filters, in the record list's words where they narrow by the complaint's record
    (created_after / created_before in local days, department, stage, assignee, category,
    customer_tier), so the dashboards' links list exactly what a tile or bar counts. The
    fishbone's links carry a bone, the closing period and the responsible department. A value
    that cannot be read, or an unknown department, person or category, is a field error."""

    step = forms.MultipleChoiceField(label=_("Step"), choices=Step.choices, required=False)
    overdue = forms.BooleanField(label=_("Actions overdue"), required=False)
    breached = forms.BooleanField(label=_("Surprise breaches"), required=False)
    recovered = forms.BooleanField(label=_("Recovered (closed satisfied)"), required=False)
    created_after = DeskDateField(label=_("Created from"), required=False)
    created_before = DeskDateField(label=_("Created until"), required=False)
    department = forms.ModelChoiceField(
        label=_("Department (lead or collaborating)"),
        queryset=Department.objects.order_by("code"),
        required=False,
    )
    responsible_department = forms.ModelChoiceField(
        label=_("Responsible department (责任环节)"),
        queryset=Department.objects.all(),
        required=False,
    )
    stage = forms.ChoiceField(label=_("Stage"), choices=Stage.choices, required=False)
    assignee = UserChoiceField(label=_("Assignee"), queryset=User.objects.all(), required=False)
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=ServiceCategory.objects.all(), required=False
    )
    customer_tier = forms.ChoiceField(
        label=_("Customer tier"), choices=ManagementTier.choices, required=False
    )
    bone = forms.IntegerField(label=_("Bone"), required=False, min_value=1, max_value=2**31 - 1)
    closed_from = DeskDateField(label=_("Closed from"), required=False)
    closed_to = DeskDateField(label=_("Closed to (inclusive)"), required=False)

    def __init__(self, data=None, *, manager: bool = False):
        super().__init__(data)
        # The filter bar's controls; the other filters ride along as hidden fields. Only managers
        # get the department control (one more query): an agent's list already holds only
        # their departments' complaints.
        self.shown_names = ("created_after", "created_before", *(("department",) * manager))

    def clean(self):
        data = super().clean()
        for start, end in (("created_after", "created_before"), ("closed_from", "closed_to")):
            if data.get(start) and data.get(end) and data[end] < data[start]:
                self.add_error(end, _("The end of the period is before its start."))
        return data

    def shown(self):
        return [self[name] for name in self.shown_names]

    def carried(self) -> list[tuple[str, str]]:
        """The filters set but not shown, as (name, value) for hidden inputs."""
        return [
            (name, value)
            for name in self.fields
            if name not in self.shown_names
            for value in (self.data.getlist(name) if hasattr(self.data, "getlist") else [])
            if value
        ]


class RespectForm(forms.Form):
    phrase = forms.ChoiceField(
        label=_("Words used"), widget=forms.RadioSelect, required=False, choices=()
    )
    own_words = forms.CharField(
        label=_("Or in your own words"), max_length=500, required=False, widget=TEXT
    )
    said_at = forms.DateTimeField(
        label=_("Said at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("Leave empty for now."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The value is the phrase in the page's language: what the agent said.
        self.fields["phrase"].choices = [(str(p), p) for p in RESPECT_PHRASES]

    def payload(self, data):
        words = data["own_words"] or data["phrase"]
        return {"words": words, "said_at": data["said_at"].isoformat() if data["said_at"] else None}

    errors_onto = {"words": "own_words"}


class ListenForm(forms.Form):
    feeling = forms.CharField(
        max_length=LONG_TEXT_MAX, label=_("How does the customer feel? (感受)"), widget=TEXT
    )
    want = forms.CharField(
        max_length=LONG_TEXT_MAX, label=_("What does the customer want? (想要)"), widget=TEXT
    )
    thinking = forms.CharField(
        max_length=LONG_TEXT_MAX, label=_("What is the customer thinking? (想法)"), widget=TEXT
    )
    facts = forms.CharField(max_length=LONG_TEXT_MAX, label=_("Facts gathered"), widget=TEXT)

    def payload(self, data):
        return dict(data)


class RestateForm(forms.Form):
    request = forms.CharField(
        max_length=LONG_TEXT_MAX, label=_("The request, in your words"), widget=TEXT
    )
    confirmed = forms.TypedChoiceField(
        label=_("Did the customer confirm it?"),
        choices=[("yes", _("Yes, that is what they want")), ("no", _("No: listen again"))],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
    )

    def payload(self, data):
        return dict(data)


class OptionForm(forms.Form):
    description = forms.CharField(label=_("Option"), max_length=500, required=False)
    remedy = forms.ChoiceField(
        label=_("Remedy"), choices=[("", "—"), *Remedy.choices], required=False
    )
    cost = forms.DecimalField(
        label=_("Cost"), max_digits=10, decimal_places=2, min_value=0, required=False
    )
    department = forms.TypedChoiceField(
        label=_("Department"), coerce=int, empty_value=None, required=False
    )
    date = DeskDateField(label=_("By"), required=False)

    def __init__(self, *args, departments=(), **kwargs):
        super().__init__(*args, **kwargs)
        # Choices read once for every row (a ModelChoiceField queries per row it renders).
        self.fields["department"].choices = [("", "—"), *departments]


class DeclinedForm(forms.Form):
    request = forms.CharField(label=_("Request declined"), max_length=500, required=False)
    alternative = forms.CharField(
        label=_("What we can do instead (“你可以…”)"), max_length=500, required=False
    )


class OptionsForm(forms.Form):
    choice = forms.TypedChoiceField(
        label=_("The customer chose"), coerce=int, widget=forms.RadioSelect
    )

    errors_onto = {"options": NON_FIELD_ERRORS}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Labelled here, in the request's language (a module-level % would freeze one).
        self.fields["choice"].choices = [
            (i, _("Option %(n)d") % {"n": i + 1}) for i in range(OPTION_ROWS)
        ]


class ActionForm(forms.Form):
    description = forms.CharField(label=_("Action"), max_length=300, required=False)
    owner = forms.TypedChoiceField(
        label=_("Person responsible"), coerce=int, empty_value=None, required=False
    )
    due_date = DeskDateField(label=_("Due"), required=False)
    record = forms.TypedChoiceField(
        label=_("Linked record"),
        coerce=int,
        empty_value=None,
        required=False,
        help_text=_("Optional: the customer's record that carries this work."),
    )

    def __init__(self, *args, owners=(), records=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = [("", "—"), *owners]
        self.fields["record"].choices = [("", "—"), *records]


class ActForm(forms.Form):
    errors_onto = {"actions": NON_FIELD_ERRORS}


class RecheckForm(forms.Form):
    result = forms.ChoiceField(
        label=_("Re-check result"),
        widget=forms.RadioSelect,
        choices=[
            ("satisfied", _("Satisfied: close the complaint")),
            ("not_satisfied", _("Not satisfied: back to the options")),
            ("unreachable", _("Could not be reached: a manager closes it")),
        ],
    )
    note = forms.CharField(
        max_length=LONG_TEXT_MAX,
        label=_("Note"),
        widget=TEXT,
        required=False,
        help_text=_("Needed when the customer could not be reached: why it is closed."),
    )

    def __init__(self, *args, manager: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not manager:
            # Only a manager closes a complaint whose customer could not be reached
            # (services.complaint_take_step refuses it to anyone else): not offered to them.
            self.fields["result"].choices = self.fields["result"].choices[:2]

    def payload(self, data):
        return dict(data)


def _blank(form) -> bool:
    return not any(v not in (None, "") for v in form.cleaned_data.values())


class StepForms:
    """One step's form, and for steps 4 and 5 its rows (formsets), bound or not, turned into the
    service's payload; the service's errors ("options.1.remedy") land on the row and field."""

    def __init__(self, step: str, data=None, *, choices=None, initial=None, manager=True):
        """`choices`: the departments, owners and records offered, read once for every row;
        `initial`: a taken step's data, to revise it; `manager`: whether the re-check offers
        closing a complaint whose customer could not be reached."""
        self.step = step
        self.rows: dict[str, forms.BaseFormSet] = {}
        self.row_index: dict[str, list[int]] = {}
        choices = choices or {}
        initial = initial or {}
        if step == Step.OPTIONS:
            self.form = OptionsForm(data, prefix="step", initial={"choice": initial.get("choice")})
            kwargs = {"departments": choices.get("departments", ())}
            rows = initial.get("options")
            self.rows["options"] = _formset(OptionForm, OPTION_ROWS, data, "options", kwargs, rows)
            declined = initial.get("declined")
            self.rows["declined"] = _formset(
                DeclinedForm, DECLINED_ROWS, data, "declined", {}, declined
            )
        elif step == Step.ACT:
            self.form = ActForm(data, prefix="step")
            kwargs = {"owners": choices.get("owners", ()), "records": choices.get("records", ())}
            self.rows["actions"] = _formset(ActionForm, ACTION_ROWS, data, "actions", kwargs)
        else:
            form_class = {
                Step.RESPECT: RespectForm,
                Step.LISTEN: ListenForm,
                Step.RESTATE: RestateForm,
                Step.RECHECK: RecheckForm,
            }[step]
            kwargs = {"manager": manager} if step == Step.RECHECK else {}
            self.form = form_class(
                data, prefix="step", initial=_simple_initial(step, initial), **kwargs
            )

    def is_valid(self) -> bool:
        valid = self.form.is_valid()
        for formset in self.rows.values():
            valid = formset.is_valid() and valid
        return valid

    def payload(self) -> dict:
        if self.step not in (Step.OPTIONS, Step.ACT):
            return self.form.payload(self.form.cleaned_data)
        kept = {name: self._kept(name) for name in self.rows}
        if self.step == Step.ACT:
            return {"actions": [_action(f.cleaned_data) for f in kept["actions"]]}
        chosen_row = self.form.cleaned_data["choice"]
        return {
            "options": [_option(f.cleaned_data) for f in kept["options"]],
            # The radio names a row; the service counts the rows kept.
            "choice": next(
                (i for i, row in enumerate(self.row_index["options"]) if row == chosen_row), None
            ),
            "declined": [dict(f.cleaned_data) for f in kept["declined"]],
        }

    def _kept(self, name: str) -> list[forms.Form]:
        """Rows with anything in them; empty rows are the spare ones a page always offers."""
        kept = [(i, f) for i, f in enumerate(self.rows[name].forms) if not _blank(f)]
        self.row_index[name] = [i for i, _f in kept]
        return [f for _i, f in kept]

    def add_errors(self, message_dict: dict) -> None:
        onto = getattr(self.form, "errors_onto", {})
        for key, messages in message_dict.items():
            name, _dot, rest = key.partition(".")
            if rest and name in self.rows:
                index, _dot, field = rest.partition(".")
                row = self.rows[name].forms[self.row_index[name][int(index)]]
                for message in messages:
                    row.add_error(field if field in row.fields else None, message)
                continue
            field = onto.get(key, key)
            if field not in self.form.fields:
                field = None
            for message in messages:
                self.form.add_error(field, message)

    @property
    def has_errors(self) -> bool:
        return bool(self.form.errors) or any(
            f.errors or f.non_form_errors() for f in self.rows.values()
        )


def _formset(form_class, rows, data, prefix, form_kwargs, initial=None):
    """`rows` rows in all, the initial ones first: a page offers a fixed number of rows, and the
    row count cannot be pushed past it by a crafted TOTAL_FORMS."""
    initial = [dict(i) for i in (initial or [])][:rows]
    formset_class = forms.formset_factory(
        form_class, extra=rows - len(initial), max_num=rows, absolute_max=rows
    )
    return formset_class(data, prefix=prefix, form_kwargs=form_kwargs, initial=initial or None)


def _simple_initial(step: str, data: dict) -> dict:
    if step == Step.RESPECT and data:
        phrases = {str(p) for p in RESPECT_PHRASES}
        words = data.get("words", "")
        said_at = parse_datetime(data["said_at"]) if data.get("said_at") else None
        return {
            "phrase": words if words in phrases else "",
            "own_words": "" if words in phrases else words,
            "said_at": timezone.localtime(said_at).strftime("%Y-%m-%dT%H:%M") if said_at else "",
        }
    if step == Step.RESTATE and data:
        return {**data, "confirmed": "yes" if data.get("confirmed") else "no"}
    return dict(data)


def _option(data) -> dict:
    return {
        "description": data["description"],
        "remedy": data["remedy"],
        "cost": str(data["cost"]) if data["cost"] is not None else None,
        "department": data["department"],
        "date": data["date"].isoformat() if data["date"] else None,
    }


def _action(data) -> dict:
    return {
        "description": data["description"],
        "owner": data["owner"],
        "due_date": data["due_date"].isoformat() if data["due_date"] else None,
        "record": data["record"],
    }
