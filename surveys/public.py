"""The customer's side: /s/<token>/, no login, in the customer's language, on any phone.

An unknown token is a 404 and a used or expired one a 410, each a plain page that names nothing
about the invitation. Submissions are rate-limited per token and per address (core.ratelimit).
"""

from django.conf import settings
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache

from servicedesk.core.ratelimit import allow, client_address

from . import services
from .forms import answer_fields
from .models import InvitationStatus

WINDOW = 3600  # seconds: the limits count the submits of the last hour


def per_token() -> tuple[int, int]:
    """(submits, seconds) allowed per link: settings.SURVEY_SUBMITS_PER_LINK, read per request."""
    return settings.SURVEY_SUBMITS_PER_LINK, WINDOW


def per_address() -> tuple[int, int]:
    """(submits, seconds) allowed per client address: settings.SURVEY_SUBMITS_PER_ADDRESS."""
    return settings.SURVEY_SUBMITS_PER_ADDRESS, WINDOW


OPT_INS = ("meeting", "supervisor", "contact")


def _gone(request, reason: str, status: int):
    return render(request, "surveys/public/gone.html", {"reason": reason}, status=status)


@method_decorator(never_cache, name="dispatch")
class AnswerView(View):
    def _invitation(self, token):
        return services.invitation_for_token(token)

    def get(self, request, token: str):
        invitation = self._invitation(token)
        if invitation is None:
            return _gone(request, "unknown", 404)
        translation.activate(invitation.language)
        if invitation.status == InvitationStatus.ANSWERED:
            return _gone(request, "used", 410)
        if invitation.status == InvitationStatus.CANCELLED or invitation.is_expired():
            return _gone(request, "expired", 410)
        services.survey_open(invitation)
        return self._form(request, invitation)

    def _form(self, request, invitation, data=None, errors=None, status=200):
        return render(
            request,
            "surveys/public/answer.html",
            {
                "invitation": invitation,
                "template": invitation.template,
                "questions": answer_fields(invitation.template, data, errors),
                "has_errors": bool(errors),
            },
            status=status,
        )

    def post(self, request, token: str):
        invitation = self._invitation(token)
        if invitation is None:
            return _gone(request, "unknown", 404)
        translation.activate(invitation.language)
        (per_link, window), (per_ip, ip_window) = per_token(), per_address()
        if not allow(f"survey:token:{invitation.pk}", limit=per_link, window=window) or (
            not allow(f"survey:ip:{client_address(request)}", limit=per_ip, window=ip_window)
        ):
            return _gone(request, "busy", 429)
        try:
            services.survey_submit(invitation_id=invitation.pk, data=request.POST)
        except services.AnswersInvalid as exc:
            return self._form(request, invitation, request.POST, exc.errors, status=400)
        except services.AlreadyAnswered:
            return _gone(request, "used", 410)
        except services.LinkExpired:
            return _gone(request, "expired", 410)
        return HttpResponseRedirect(reverse("survey_thanks", args=[token]))


@method_decorator(never_cache, name="dispatch")
class ThanksView(View):
    """After the answer: thanks, what happens next, and the three opt-ins (客户交流会,
    客户监督员, a manager's call). Reachable only with the answered link."""

    def _response(self, token):
        invitation = services.invitation_for_token(token)
        if invitation is None or invitation.status != InvitationStatus.ANSWERED:
            return invitation, None
        return invitation, invitation.response

    def get(self, request, token: str):
        invitation, response = self._response(token)
        if response is None:
            return _gone(request, "unknown", 404)
        translation.activate(invitation.language)
        return render(
            request,
            "surveys/public/thanks.html",
            {"invitation": invitation, "response": response, "saved": "saved" in request.GET},
        )

    def post(self, request, token: str):
        invitation, response = self._response(token)
        if response is None:
            return _gone(request, "unknown", 404)
        per_ip, window = per_address()
        if not allow(f"survey:ip:{client_address(request)}", limit=per_ip, window=window):
            translation.activate(invitation.language)
            return _gone(request, "busy", 429)
        chosen = frozenset(name for name in OPT_INS if request.POST.get(name))
        services.survey_opt_in(response_id=response.pk, opt_ins=chosen)
        return HttpResponseRedirect(reverse("survey_thanks", args=[token]) + "?saved=1")
