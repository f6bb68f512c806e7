import datetime
import zoneinfo

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from servicedesk.securitylog.signin import second_factor

from .exceptions import DomainError
from .users import display_name


class DateInput(forms.DateInput):
    """A browser date picker. Its value must be YYYY-MM-DD whatever the language: the localised
    format (2026/11/24 in Chinese) would show it empty, and saving the form would clear it."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class DeskDateField(forms.DateField):
    """A page's date from 1970 to 2099: past either end the day's bounds overflow (a 500) and a
    period reaching 1970 would read every row since."""

    widget = DateInput
    default_error_messages = {
        "invalid": _("Enter a date as YYYY-MM-DD."),
        "out_of_range": _("Enter a date from 1970 to 2099."),
    }

    def to_python(self, value):
        result = super().to_python(value)
        if result is not None and not datetime.date(1970, 1, 1) <= result <= LAST_DAY:
            raise ValidationError(self.error_messages["out_of_range"], code="out_of_range")
        return result


LAST_DAY = datetime.date(2099, 12, 31)


def service_errors(exc: DomainError | ValidationError) -> dict[str, list[str]]:
    """A service's refusal as {field or NON_FIELD_ERRORS: [messages]}, for forms (and sets of
    forms) that place the errors themselves."""
    if isinstance(exc, DomainError):
        return {exc.field or NON_FIELD_ERRORS: [str(exc.message)]}
    if hasattr(exc, "error_dict"):
        return exc.message_dict
    return {NON_FIELD_ERRORS: list(getattr(exc, "messages", [str(exc)]))}


def add_service_error(form: forms.Form, exc: DomainError | ValidationError) -> None:
    """Put a service's refusal on the form: the one adapter every page uses.

    A DomainError (or a model ValidationError) naming a field the form shows lands on that field;
    anything else (no field, a field this form lacks, or a hidden one such as `version` or
    `customer`, whose errors a page never shows beside an input) goes to the top of the form.
    """
    for field, messages in service_errors(exc).items():
        shown = field in form.fields and not form.fields[field].widget.is_hidden
        for message in messages:
            if not shown and field != NON_FIELD_ERRORS and not isinstance(exc, DomainError):
                # A model's own message ("at most 200 characters") needs its field to make sense.
                message = f"{field}: {message}"
            form.add_error(field if shown else None, message)


def user_label(user) -> str:
    """How a person is named in choices: the display name, the login only as a fallback."""
    return display_name(user)


class UserChoiceField(forms.ModelChoiceField):
    """A choice of users shown by their names, not their logins."""

    def label_from_instance(self, obj) -> str:
        return user_label(obj)


def _tz_choices():
    common = [
        "Asia/Shanghai",
        "Asia/Hong_Kong",
        "Asia/Taipei",
        "Asia/Singapore",
        "Asia/Tokyo",
        "Europe/London",
        "Europe/Berlin",
        "America/New_York",
        "America/Los_Angeles",
        "UTC",
    ]
    rest = sorted(zoneinfo.available_timezones() - set(common))
    return [("", _("Desk default")), *[(z, z) for z in common], *[(z, z) for z in rest]]


class TimeZoneForm(forms.Form):
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=_tz_choices, required=False)


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=_("Token name"),
        max_length=80,
        help_text=_("Say which system or script will use it, e.g. “ERP nightly sync”."),
    )


class LoginForm(AuthenticationForm):
    """Django's login form with the desk's wording; errors never say which half was wrong."""

    error_messages = {
        "invalid_login": _("That username and password do not match. Check both and try again."),
        "inactive": _("This account is disabled. Ask an administrator."),
        "locked": _(
            "Too many failed sign-ins. For your security, signing in is paused until %(time)s. "
            "Wait until then, or ask an administrator."
        ),
    }

    otp_token = forms.CharField(
        label=_("Authentication code"),
        required=False,
        max_length=8,
        help_text=_("Only if you turned on two-factor sign-in: the code your app shows now."),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "pattern": r"\d*"}
        ),
    )

    def clean(self):
        try:
            cleaned = super().clean()
        except ValidationError:
            # The lock-out backend (servicedesk.securitylog) refused without checking the
            # password: say so, rather than that the password was wrong.
            lock = getattr(self.request, "signin_lock", None)
            if lock is None:
                raise
            until = formats.time_format(timezone.localtime(lock.until), "H:i")
            raise ValidationError(
                self.error_messages["locked"], code="locked", params={"time": until}
            ) from None
        second_factor(self.request, self.user_cache, cleaned.get("otp_token", ""))
        return cleaned
