"""The staff pages' forms: the response list's filters and the template choice of a staff entry.

The answers themselves are not a Django form: the template's questions decide the fields, and
services.clean_answers is the one rule for them (the public page and the API use it too)."""

from datetime import datetime, time, timedelta

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.models import ManagementTier
from servicedesk.core.forms import DeskDateField, UserChoiceField
from servicedesk.core.models import Department
from tickets.models import ServiceCategory, Stage

from .models import RATING_RANGE, Kind


class ResponseFilterForm(forms.Form):
    template = forms.TypedChoiceField(label=_("Template"), coerce=int, required=False)
    since = DeskDateField(label=_("Answered from"), required=False)
    until = DeskDateField(label=_("Answered to (inclusive)"), required=False)
    score = forms.ChoiceField(
        label=_("Score"),
        required=False,
        choices=[
            ("", _("Any score")),
            ("low", _("Low scores only")),
            *((str(n), _("Rating %(n)d") % {"n": n}) for n in RATING_RANGE),
        ],
    )
    entered = forms.ChoiceField(
        label=_("Answered by"),
        required=False,
        choices=[
            ("", _("Customers and staff")),
            ("customer", _("The customer (link or e-mail)")),
            ("staff", _("Staff, on a call")),
        ],
    )
    # What the answer names, as the dashboards count it (servicedesk.dashboard.kpis): each column
    # has an index with the list's order, bar the stage, which has three values.
    stage = forms.ChoiceField(
        label=_("Stage"), required=False, choices=[("", _("Any stage")), *Stage.choices]
    )
    department = forms.ModelChoiceField(
        label=_("Department"),
        queryset=Department.objects.order_by("code"),
        required=False,
        empty_label=_("Any department"),
    )
    # Hidden fields the dashboards' links carry: a select of every user would be long, and the
    # category and tier reach the answer through its record and customer.
    agent = UserChoiceField(
        label=_("Agent"),
        queryset=get_user_model().objects.all(),
        required=False,
        widget=forms.HiddenInput,
    )
    category = forms.ModelChoiceField(
        label=_("Category"),
        queryset=ServiceCategory.objects.all(),
        required=False,
        widget=forms.HiddenInput,
    )
    customer_tier = forms.ChoiceField(
        label=_("Customer tier"),
        required=False,
        choices=[("", ""), *ManagementTier.choices],
        widget=forms.HiddenInput,
    )

    def __init__(self, data=None, *, templates: dict[int, str]):
        super().__init__(data)
        self.fields["template"].choices = [("", _("All templates")), *templates.items()]

    def clean(self):
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and until < since:
            raise ValidationError(_("The end of the period is before its start."))
        return data

    def narrow(self, responses):
        """The responses that match the valid filters (call after is_valid())."""
        data = self.cleaned_data
        tz = timezone.get_current_timezone()
        if data.get("template"):
            responses = responses.filter(template_id=data["template"])
        if data.get("since"):
            start = timezone.make_aware(datetime.combine(data["since"], time.min), tz)
            responses = responses.filter(submitted_at__gte=start)
        if data.get("until"):
            end = datetime.combine(data["until"] + timedelta(days=1), time.min)
            responses = responses.filter(submitted_at__lt=timezone.make_aware(end, tz))
        score = data.get("score")
        if score == "low":
            responses = responses.filter(is_low=True)
        elif score:
            responses = responses.filter(rating=int(score))
        if data.get("stage"):
            responses = responses.filter(stage=data["stage"])
        if data.get("department"):
            responses = responses.filter(department_id=data["department"].pk)
        if data.get("agent"):
            responses = responses.filter(agent_id=data["agent"].pk)
        if data.get("category"):
            responses = responses.filter(invitation__record__category_id=data["category"].pk)
        if data.get("customer_tier"):
            responses = responses.filter(customer__management_tier=data["customer_tier"])
        if data.get("entered") == "staff":
            responses = responses.filter(entered_by__isnull=False)
        elif data.get("entered") == "customer":
            responses = responses.filter(entered_by__isnull=True)
        return responses

    @property
    def narrowed(self) -> bool:
        return self.is_bound and any(self.cleaned_data.get(name) for name in self.fields)


class TemplateChoiceForm(forms.Form):
    """Which survey the agent reads out: the active templates."""

    template = forms.TypedChoiceField(label=_("Survey"), coerce=int)

    def __init__(self, data=None, *, templates: dict[int, str]):
        super().__init__(data)
        self.fields["template"].choices = [("", "—"), *templates.items()]


def answer_fields(template, data=None, errors=None) -> list[dict]:
    """The template's questions with their options, what was typed and its error: the answer
    form of the public page and of the staff's entry from a call."""
    data, errors = data or {}, errors or {}
    questions = []
    for question in template.questions.all():
        name = f"q{question.pk}"
        if question.kind == Kind.RATING:
            options = [(str(n), str(n)) for n in range(1, 6)]
        elif question.kind == Kind.NPS:
            options = [(str(n), str(n)) for n in range(0, 11)]
        elif question.kind == Kind.CHOICE:
            options = question.choice_pairs()
        else:
            options = []
        questions.append(
            {
                "q": question,
                "name": name,
                "options": options,
                "value": str(data.get(name, "")),
                "error": errors.get(name, ""),
            }
        )
    return questions
