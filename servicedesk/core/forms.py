import zoneinfo

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _


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
    }
