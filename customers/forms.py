"""Staff forms. They check shape; the services check the rules and report per-field errors."""

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.forms.models import fields_for_model
from django.utils.translation import gettext_lazy as _

from servicedesk.core.forms import DateInput, user_label
from servicedesk.core.limits import LIST_TEXT_MAX, LONG_TEXT_MAX, limit_text

from .csvio import ENCODINGS
from .models import Contact, Customer, CustomerKind, Interaction, Product, ProductOwned
from .services import EDITABLE_FIELDS

# The form offers exactly what the service lets a caller set.
CUSTOMER_FIELDS = list(EDITABLE_FIELDS)
# Preferred contact hours: callbacks are scheduled inside them (customers.services checks them).
CONTACT_HOURS = ("contact_from", "contact_until")


class CustomerForm(forms.Form):
    tags = forms.CharField(
        label=_("Tags"),
        required=False,
        max_length=LIST_TEXT_MAX,
        help_text=_("Separate tags with commas."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        generated = fields_for_model(Customer, fields=CUSTOMER_FIELDS)
        generated["organisation"].queryset = Customer.objects.filter(
            kind=CustomerKind.ORGANISATION, is_archived=False
        ).order_by("name")
        generated["owner"].queryset = (
            get_user_model().objects.filter(is_active=True).order_by("username")
        )
        generated["owner"].label_from_instance = user_label  # names, not logins
        for name in ("preferences", "notes"):
            generated[name].widget.attrs["rows"] = 3
            limit_text(generated[name])
        for name in CONTACT_HOURS:
            if name in generated:
                generated[name].widget = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
        if "contact_from" in generated:
            generated["contact_from"].help_text = _(
                "Preferred hours for callbacks, e.g. 18:00 to 20:00; leave both empty for any "
                "business hour."
            )
        tags = self.fields.pop("tags")
        self.fields = {**generated, "tags": tags, **self.fields}

    def service_kwargs(self) -> dict:
        data = {f: self.cleaned_data[f] for f in CUSTOMER_FIELDS}
        tags = [t.strip() for t in self.cleaned_data["tags"].replace("，", ",").split(",")]
        return {"fields": data, "tags": [t for t in tags if t]}


class CustomerCreateForm(CustomerForm):
    contact_name = forms.CharField(
        label=_("Contact person"),
        required=False,
        max_length=120,
        help_text=_("Leave empty for an individual: the customer is their own contact."),
    )
    phones = forms.CharField(
        label=_("Phones"),
        required=False,
        max_length=LIST_TEXT_MAX,
        help_text=_("Mobile, landline with area code, or +country code; separate with commas."),
    )
    emails = forms.CharField(
        label=_("E-mails"),
        required=False,
        max_length=LIST_TEXT_MAX,
        help_text=_("Separate with commas."),
    )
    create_anyway = forms.BooleanField(
        label=_("Create anyway: this is a different customer"), required=False
    )


class CustomerEditForm(CustomerForm):
    version = forms.IntegerField(widget=forms.HiddenInput)


class ContactForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    title = forms.CharField(label=_("Title / role"), max_length=80, required=False)
    phones = forms.CharField(
        label=_("Phones"),
        required=False,
        max_length=LIST_TEXT_MAX,
        help_text=_("Separate with commas."),
    )
    emails = forms.CharField(
        label=_("E-mails"),
        required=False,
        max_length=LIST_TEXT_MAX,
        help_text=_("Separate with commas."),
    )
    is_primary = forms.BooleanField(label=_("Primary contact"), required=False)
    notes = forms.CharField(label=_("Notes"), max_length=300, required=False)


class InteractionForm(forms.ModelForm):
    occurred_at = forms.DateTimeField(
        label=_("When"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("Leave empty for now."),
    )
    notes = forms.CharField(
        label=_("Notes"),
        required=False,
        max_length=LONG_TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    class Meta:
        model = Interaction
        fields = ["kind", "occurred_at", "contact", "summary", "notes"]

    def __init__(self, *args, customer: Customer, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contact"].queryset = Contact.objects.filter(customer=customer)
        self.fields["contact"].required = False


class ProductOwnedForm(forms.ModelForm):
    class Meta:
        model = ProductOwned
        fields = ["product", "serial", "purchase_date", "warranty_end", "notes"]
        widgets = {
            "purchase_date": DateInput(),
            "warranty_end": DateInput(),
        }
        help_texts = {"warranty_end": _("Leave empty to count the product's warranty months.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = Product.objects.filter(is_active=True)

    def _post_clean(self):
        # The service validates and reports; the model's own full_clean would run it twice.
        pass


class MergeForm(forms.Form):
    duplicate = forms.ModelChoiceField(
        label=_("Duplicate to merge into this customer"),
        queryset=Customer.objects.none(),
        help_text=_("Everything of the duplicate moves here; the duplicate is archived."),
    )
    confirm = forms.BooleanField(label=_("I checked that both are the same customer"))

    def __init__(self, *args, survivor: Customer, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["duplicate"].queryset = candidates.exclude(pk=survivor.pk)


class ImportForm(forms.Form):
    file = forms.FileField(label=_("CSV file"))
    encoding = forms.ChoiceField(
        label=_("Encoding"),
        choices=list(ENCODINGS.items()),
        initial="utf-8",
        help_text=_("UTF-8 (with or without BOM) unless the file came from Chinese Excel."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".csv", ".txt")):
            raise ValidationError(_("Upload a .csv file."))
        return upload
