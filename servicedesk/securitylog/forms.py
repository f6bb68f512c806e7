from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

CODE_FIELD = dict(
    label=_("Authentication code"),
    max_length=8,
    validators=[RegexValidator(r"^\d{6,8}$", _("Enter the 6-digit code from your app."))],
    widget=forms.TextInput(
        attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "pattern": r"\d*"}
    ),
)


class CodeForm(forms.Form):
    code = forms.CharField(**CODE_FIELD)
