from django import forms
from django.utils.translation import gettext_lazy as _

from servicedesk.core.forms import DateInput
from servicedesk.core.limits import LONG_TEXT_MAX

from .models import (
    Duration,
    Fee,
    Frequency,
    MessageKind,
    Nature,
    Place,
    Priority,
    ServiceCategory,
    Stage,
    Status,
)

DEFAULT = [("", _("Category default"))]


class RecordCreateForm(forms.Form):
    customer = forms.IntegerField(widget=forms.HiddenInput)
    stage = forms.ChoiceField(label=_("Stage"), choices=Stage.choices)
    category = forms.ModelChoiceField(
        label=_("Category"),
        queryset=ServiceCategory.objects.filter(is_active=True).order_by("stage", "sort_order"),
        help_text=_("Decides the lead department and the defaults below."),
    )
    subject = forms.CharField(label=_("Subject"), max_length=200)
    description = forms.CharField(
        max_length=LONG_TEXT_MAX, label=_("Description"), widget=forms.Textarea, required=False
    )
    contact = forms.IntegerField(widget=forms.HiddenInput, required=False)
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices, initial="normal")
    nature = forms.ChoiceField(label=_("Nature"), choices=DEFAULT + Nature.choices, required=False)
    place = forms.ChoiceField(label=_("Place"), choices=DEFAULT + Place.choices, required=False)
    fee = forms.ChoiceField(label=_("Fee"), choices=DEFAULT + Fee.choices, required=False)
    fee_amount = forms.DecimalField(
        label=_("Amount"), max_digits=10, decimal_places=2, required=False, min_value=0
    )
    frequency = forms.ChoiceField(
        label=_("Frequency"), choices=DEFAULT + Frequency.choices, required=False
    )
    duration = forms.ChoiceField(
        label=_("Duration"), choices=DEFAULT + Duration.choices, required=False
    )
    agreed_date = forms.DateField(
        label=_("Agreed date"),
        required=False,
        widget=DateInput(),
        help_text=_("Only for a scheduled service: the day promised to the customer."),
    )

    def __init__(self, *args, categories=None, **kwargs):
        super().__init__(*args, **kwargs)
        if categories is not None:
            self.fields["category"].queryset = categories


class RecordEditForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    subject = forms.CharField(label=_("Subject"), max_length=200)
    description = forms.CharField(
        max_length=LONG_TEXT_MAX, label=_("Description"), widget=forms.Textarea, required=False
    )
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices)
    nature = forms.ChoiceField(label=_("Nature"), choices=Nature.choices)
    place = forms.ChoiceField(label=_("Place"), choices=Place.choices)
    fee = forms.ChoiceField(label=_("Fee"), choices=Fee.choices)
    fee_amount = forms.DecimalField(
        label=_("Amount"), max_digits=10, decimal_places=2, required=False, min_value=0
    )
    frequency = forms.ChoiceField(label=_("Frequency"), choices=Frequency.choices)
    duration = forms.ChoiceField(label=_("Duration"), choices=Duration.choices)
    agreed_date = forms.DateField(label=_("Agreed date"), required=False, widget=DateInput())


class MessageForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Type"), choices=MessageKind.choices, widget=forms.RadioSelect, initial="reply"
    )
    body = forms.CharField(
        max_length=LONG_TEXT_MAX, label=_("Message"), widget=forms.Textarea(attrs={"rows": 4})
    )


class AttachmentForm(forms.Form):
    file = forms.FileField(label=_("File"), help_text=_("PDF, image, text/CSV or Office; 10 MB."))


class TransitionForm(forms.Form):
    to_status = forms.ChoiceField(choices=Status.choices)
    version = forms.IntegerField(required=False)


class AssignForm(forms.Form):
    assignee = forms.IntegerField(required=False)
