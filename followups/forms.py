"""Staff forms for callback visits. They check shape; followups.services checks the rules and its
DomainErrors land on these forms through servicedesk.core.forms.add_service_error."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from servicedesk.core.forms import DeskDateField, UserChoiceField
from servicedesk.core.limits import LONG_TEXT_MAX

from .models import Expectation, Method, ProductState, Purpose

NOT_SAID = [("", _("Not asked"))]
# Minutes are enough: the window is counted in working days.
DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


def _datetime_input(**attrs) -> forms.DateTimeInput:
    return forms.DateTimeInput(attrs={"type": "datetime-local", **attrs}, format=DATETIME_LOCAL)


class VersionedForm(forms.Form):
    """Every write on a visit carries the version the person saw (as record pages do): a stale one
    is a conflict shown to them, never a silent overwrite."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    # The visit page shows several of these forms: each names its inputs' ids apart.
    id_prefix = "id"

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", f"{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)


class NotReachedForm(VersionedForm):
    id_prefix = "not_reached"
    note = forms.CharField(
        label=_("Note"),
        max_length=300,
        required=False,
        help_text=_("Optional, e.g. “line busy” or “switched off”."),
    )


class OutcomeForm(VersionedForm):
    """“Reached”: what the customer said. Only who was reached is required."""

    reached_person = forms.CharField(
        label=_("Who was reached"),
        max_length=120,
        help_text=_("The person you spoke to, e.g. the customer or a family member."),
    )
    product_state = forms.ChoiceField(
        label=_("Product in use"), choices=NOT_SAID + ProductState.choices, required=False
    )
    questions_answered = forms.CharField(
        max_length=LONG_TEXT_MAX,
        label=_("Questions answered"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    satisfaction = forms.TypedChoiceField(
        label=_("Satisfaction"),
        choices=[("", _("Not asked")), *[(n, str(n)) for n in range(1, 6)]],
        coerce=int,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
        help_text=_("1 very dissatisfied … 5 very satisfied."),
        error_messages={"invalid_choice": _("Satisfaction is from 1 to 5.")},
    )
    expectation = forms.ChoiceField(
        label=_("Against expectations"), choices=NOT_SAID + Expectation.choices, required=False
    )
    notes = forms.CharField(
        max_length=LONG_TEXT_MAX,
        label=_("Notes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    new_issue = forms.CharField(
        label=_("Found a new issue"),
        max_length=200,
        required=False,
        help_text=_("Describe it in a line: an after-sale record opens for it."),
    )
    new_need = forms.CharField(
        label=_("Found a new need"),
        max_length=200,
        required=False,
        help_text=_("Describe it in a line: a pre-sale record opens for the sales department."),
    )

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "version": data["version"],
            "reached_person": data["reached_person"],
            "product_state": data["product_state"],
            "questions_answered": data["questions_answered"],
            "satisfaction": data["satisfaction"],
            "expectation": data["expectation"],
            "notes": data["notes"],
            "new_issue": data["new_issue"],
            "new_need": data["new_need"],
        }


class RescheduleForm(VersionedForm):
    id_prefix = "reschedule"
    due_at = forms.DateTimeField(
        label=_("Next attempt at"),
        widget=_datetime_input(),
        input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
        help_text=_("A time the customer agreed to, before the window ends."),
    )
    reason = forms.CharField(label=_("Reason"), max_length=100, required=False)


class CancelForm(VersionedForm):
    id_prefix = "cancel"
    reason = forms.CharField(
        label=_("Why is it cancelled?"),
        max_length=200,  # what the status log keeps (core.StatusChange.reason)
        help_text=_("e.g. “the customer asked not to be called again”."),
    )


class AssignForm(VersionedForm):
    """Managers pick a member of the visit's department; agents only take or give back, so the
    page sends their own id or nothing and the service has the last word."""

    assignee = forms.IntegerField(label=_("Assignee"), required=False, min_value=1)


class VisitCreateForm(forms.Form):
    customer = forms.IntegerField(widget=forms.HiddenInput)
    source_record = forms.IntegerField(widget=forms.HiddenInput, required=False)
    due_at = forms.DateTimeField(
        label=_("Due"),
        widget=_datetime_input(),
        input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
        help_text=_("When to call or visit; it stays on time for two working days after."),
    )
    method = forms.ChoiceField(
        label=_("Method"), choices=Method.choices, initial=Method.PHONE, widget=forms.RadioSelect
    )
    purpose = forms.ChoiceField(
        label=_("Purpose"),
        choices=[(p.value, p.label) for p in (Purpose.AD_HOC, Purpose.AFTER_SERVICE)],
        initial=Purpose.AD_HOC,
    )
    department = forms.ModelChoiceField(
        label=_("Department"), queryset=None, help_text=_("Whose queue the visit is in.")
    )
    assignee = UserChoiceField(
        label=_("Assignee"),
        queryset=None,
        required=False,
        empty_label=_("Nobody: the department's queue"),
    )
    address = forms.CharField(
        label=_("Address"),
        max_length=300,
        required=False,
        help_text=_("On-site visits only; empty takes the customer's primary address."),
    )
    notes = forms.CharField(
        max_length=LONG_TEXT_MAX,
        label=_("Notes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, departments, assignable, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = departments
        self.fields["assignee"].queryset = assignable


class ListFilterForm(forms.Form):
    """The callback list's choices: today (the default) or the week, or one calendar day."""

    range = forms.ChoiceField(
        label=_("Show"),
        choices=[("today", _("Due by tonight")), ("week", _("Due this week"))],
        required=False,
    )
    day = DeskDateField(label=_("Day"), required=False)


class MonthForm(forms.Form):
    month = forms.DateField(
        label=_("Month"),
        required=False,
        input_formats=["%Y-%m"],
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
        error_messages={"invalid": _("Enter a month as YYYY-MM, e.g. 2025-03.")},
    )


MAX_PERIOD_DAYS = 366


class PeriodForm(forms.Form):
    since = DeskDateField(label=_("From"), required=False)
    until = DeskDateField(label=_("To (inclusive)"), required=False)

    def clean(self):
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        too_long = ValidationError(
            _("Choose at most %(n)d days; the dashboards compare longer periods.")
            % {"n": MAX_PERIOD_DAYS}
        )
        if since and until:
            if until < since:
                raise ValidationError(_("The end of the period is before its start."))
            if (until - since).days > MAX_PERIOD_DAYS:
                raise too_long
        elif since and (timezone.localdate() - since).days > MAX_PERIOD_DAYS:
            raise too_long  # the view ends a period given only its start today
        return data
