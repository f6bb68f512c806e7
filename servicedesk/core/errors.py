"""Error pages: JSON in the API's error shape under /api/, a page in the shell elsewhere."""

from django.shortcuts import render
from django.utils.translation import gettext as _

from .api.errors import json_error


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def not_found(request, exception=None):
    if _is_api(request):
        return json_error(404, "not_found", _("Not found."))
    return render(request, "errors/404.html", status=404)


def permission_denied(request, exception=None):
    if _is_api(request):
        return json_error(403, "permission_denied", _("Your role does not allow this."))
    return render(request, "errors/403.html", {"reason": str(exception or "")}, status=403)


def bad_request(request, exception=None):
    if _is_api(request):
        return json_error(400, "bad_request", _("The request could not be understood."))
    return render(request, "errors/400.html", status=400)


def server_error(request):
    if _is_api(request):
        return json_error(
            500, "server_error", _("Something went wrong on our side. It was logged.")
        )
    return render(request, "errors/500.html", status=500)


def csrf_failure(request, reason=""):
    if _is_api(request):
        return json_error(403, "csrf_failed", _("CSRF check failed. Send the X-CSRFToken header."))
    return render(
        request,
        "errors/403.html",
        {
            "reason": _(
                "Your form expired or was sent from another site. "
                "Go back, reload the page and try again."
            )
        },
        status=403,
    )
