from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from servicedesk.core.views import DeskView

from . import twofactor
from .forms import CodeForm


class TwoFactorView(DeskView):
    """Set up, or turn off, sign-in with an authenticator app's code."""

    def get(self, request, form=None):
        user = request.user
        device = twofactor.confirmed_device(user)
        context = {
            "device": device,
            "required": twofactor.required_for(user),
            "form": form or CodeForm(),
        }
        if device is None:
            context.update(twofactor.enrolment(twofactor.pending_device(user)))
        return render(request, "securitylog/two_factor.html", context)

    def post(self, request):
        form = CodeForm(request.POST)
        if not form.is_valid():
            return self.get(request, form=form)
        token = form.cleaned_data["code"]
        user = request.user
        if request.POST.get("action") == "off":
            if twofactor.required_for(user):
                form.add_error(None, _("Administrators must keep two-factor sign-in on."))
            elif twofactor.turn_off(request, user, token):
                messages.success(request, _("Two-factor sign-in is off."))
                return redirect("two_factor")
            else:
                form.add_error("code", _("That code is not right. Try the current one."))
            return self.get(request, form=form)
        if twofactor.confirmed_device(user) is None and twofactor.confirm(
            request, twofactor.pending_device(user), token
        ):
            messages.success(
                request, _("Two-factor sign-in is on. You will be asked for a code each time.")
            )
            return redirect("core:account")
        form.add_error("code", _("That code is not right. Try the current one."))
        return self.get(request, form=form)
