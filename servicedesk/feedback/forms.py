"""Forms of the staff feedback pages. They check shape only; the rules are the services'."""

import datetime

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from servicedesk.core.forms import DeskDateField, user_label
from servicedesk.core.limits import LONG_TEXT_MAX
from surveys.results import DEFAULT_PERIOD_DAYS

from .models import CaseKind, SuggestionStatus

# Longer than the survey pages' year: ratings are few (one per record and pair of departments),
# so two years are still one short read of handover_created_idx.
MAX_PERIOD_DAYS = 366 * 2


class CaseForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=CaseKind.choices, widget=forms.RadioSelect)
    title = forms.CharField(label=_("Title"), max_length=200)
    happened = forms.CharField(
        max_length=LONG_TEXT_MAX,
        label=_("What happened"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("The customer, the situation and what was done, in a few sentences."),
    )
    lesson = forms.CharField(
        max_length=LONG_TEXT_MAX,
        label=_("What we learn"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What the team should keep doing, or do differently next time."),
    )
    record = forms.IntegerField(
        label=_("Service record number (optional)"),
        required=False,
        min_value=1,
        max_value=2_147_483_647,
        help_text=_("The number in SR-000123, for a record you can see."),
    )
    department = forms.TypedChoiceField(
        label=_("Department"), coerce=int, required=False, empty_value=None
    )

    def __init__(self, *args, departments=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].choices = [("", "—"), *departments]
        if len(departments) == 1 and not self.is_bound:
            self.initial.setdefault("department", departments[0][0])


class SuggestionForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    body = forms.CharField(
        max_length=LONG_TEXT_MAX,
        label=_("Your suggestion"),
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("What should change, and why it would serve customers or colleagues better."),
    )
    is_anonymous = forms.BooleanField(
        label=_("Hide my name from colleagues"),
        required=False,
        help_text=_("Managers still see who made the suggestion."),
    )


class SuggestionMoveForm(forms.Form):
    to = forms.ChoiceField(label=_("New status"))
    reason = forms.CharField(
        label=_("Answer to the author"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required when declining: the author is told why."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args, allowed=(), **kwargs):
        super().__init__(*args, **kwargs)
        labels = dict(SuggestionStatus.choices)
        self.fields["to"].choices = [(s, labels[s]) for s in allowed]


class AttendeesField(forms.ModelMultipleChoiceField):
    """People chosen by their names, not their logins."""

    def label_from_instance(self, obj) -> str:
        return user_label(obj)


class MeetingForm(forms.Form):
    held_on = DeskDateField(label=_("Date"))
    title = forms.CharField(label=_("Title"), max_length=200)
    department = forms.TypedChoiceField(
        label=_("Department"),
        coerce=int,
        required=False,
        empty_value=None,
        help_text=_("Leave empty for a meeting of the whole desk."),
    )
    attendees = AttendeesField(
        label=_("Attendees"),
        queryset=get_user_model().objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    notes = forms.CharField(
        max_length=LONG_TEXT_MAX,
        label=_("Notes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
    )
    decisions = forms.CharField(
        max_length=LONG_TEXT_MAX,
        label=_("Decisions and follow-up items"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("One per line, with who does it and by when."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)

    def __init__(self, *args, departments=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].choices = [("", _("Whole desk")), *departments]
        self.fields["attendees"].queryset = (
            get_user_model()
            .objects.filter(is_active=True, groups__isnull=False)
            .distinct()
            .order_by("last_name", "first_name", "username")
        )


class HandoverForm(forms.Form):
    from_department = forms.TypedChoiceField(label=_("Handed over by"), coerce=int)
    to_department = forms.TypedChoiceField(label=_("Received by (your department)"), coerce=int)
    score = forms.TypedChoiceField(
        label=_("How good was the handover?"),
        coerce=int,
        choices=[(n, str(n)) for n in range(5, 0, -1)],
        widget=forms.RadioSelect,
        help_text=_("5: complete and on time, nothing to ask again; 1: we had to redo it."),
    )
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What was missing, or what made the work easy to take over."),
    )

    def __init__(self, *args, senders=(), receivers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["from_department"].choices = [("", "—"), *senders]
        self.fields["to_department"].choices = list(receivers)
        if len(receivers) == 1:
            self.initial.setdefault("to_department", receivers[0][0])


class PeriodForm(forms.Form):
    """The internal-customer table's period and department; bad input lists nothing and says
    why."""

    since = DeskDateField(label=_("From"), required=False)
    until = DeskDateField(label=_("To"), required=False)
    department = forms.TypedChoiceField(
        label=_("Department"), coerce=int, required=False, empty_value=None
    )

    def __init__(self, *args, departments=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].choices = [("", _("All departments")), *departments]

    def clean(self):
        data = super().clean()
        today = timezone.localdate()
        until = data.get("until") or today
        since = data.get("since") or until - datetime.timedelta(days=DEFAULT_PERIOD_DAYS - 1)
        if since > until:
            raise ValidationError(_("The start is after the end. Swap the two dates."))
        if (until - since).days > MAX_PERIOD_DAYS:
            raise ValidationError(_("Choose a period of at most two years."))
        data["since"], data["until"] = since, until
        return data
