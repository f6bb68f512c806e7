"""Staff pages of the core: My work, section placeholders, account, tokens, system status."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.auth.views import redirect_to_login
from django.contrib.staticfiles import finders
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from . import health, mywork, notifications, selectors, services
from .exceptions import DomainError
from .forms import ApiTokenForm, TimeZoneForm, add_service_error
from .middleware import SESSION_TZ_KEY
from .roles import Role, has_role, user_role


class DeskView(LoginRequiredMixin, View):
    """Base for staff pages: logged in, holding a desk role (optionally one of `roles`)."""

    roles: tuple[str, ...] = ()
    section: str | None = None

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not has_role(request.user, *self.roles):
            raise PermissionDenied(_("Your role does not give access to this page."))
        request.desk_section = self.section
        return super().dispatch(request, *args, **kwargs)


class MyWorkView(DeskView):
    section = "my_work"

    def get(self, request):
        return render(
            request,
            "core/my_work.html",
            {
                "departments": selectors.user_departments(request.user),
                "role": user_role(request.user),
                "panels": mywork.render_context(request.user),
            },
        )


class SectionPlaceholderView(DeskView):
    """A section whose module has not landed yet: each app says what it will hold (no dead links
    in the shell, and core names no app above it)."""

    title = ""
    what = ""

    def get(self, request):
        return render(
            request,
            "core/placeholder.html",
            {
                "title": self.title,
                "what": self.what,
            },
        )


class AccountView(DeskView):
    def get(self, request, form=None):
        profile = getattr(request.user, "desk_profile", None)
        initial = {"time_zone": profile.time_zone if profile else ""}
        return render(
            request,
            "core/account.html",
            {
                "tz_form": form or TimeZoneForm(initial=initial),
                "role": user_role(request.user),
                "departments": selectors.user_departments(request.user),
            },
        )

    def post(self, request):
        form = TimeZoneForm(request.POST)
        if not form.is_valid():
            return self.get(request, form=form)
        tz = form.cleaned_data["time_zone"]
        services.profile_set_time_zone(user=request.user, time_zone=tz)
        request.session[SESSION_TZ_KEY] = tz
        messages.success(request, _("Your time zone was saved."))
        return redirect("core:account")


# The new key waits here between the POST that made it and the GET that shows it, once.
NEW_TOKEN_SESSION_KEY = "desk_new_api_token"  # noqa: S105 - a session field name, not a secret


def _tokens_page(request, *, form=None, revoking=None):
    # Popped, not read: a reload (or the back button) never shows the key a second time.
    new_key = request.session.pop(NEW_TOKEN_SESSION_KEY, None) if revoking is None else None
    return render(
        request,
        "core/tokens.html",
        {
            "tokens": selectors.api_token_list(user=request.user),
            "form": form or ApiTokenForm(),
            "new_key": new_key,
            "revoking": revoking,
        },
    )


class ApiTokenListView(DeskView):
    def get(self, request, form=None):
        return _tokens_page(request, form=form)

    def post(self, request):
        form = ApiTokenForm(request.POST)
        if not form.is_valid():
            return self.get(request, form=form)
        try:
            _token, key = services.api_token_create(
                user=request.user, name=form.cleaned_data["name"], request=request
            )
        except DomainError as exc:
            add_service_error(form, exc)
            return self.get(request, form=form)
        # Post/redirect/get: reloading the page after this cannot create a second token.
        request.session[NEW_TOKEN_SESSION_KEY] = key
        return redirect("core:tokens")


class ApiTokenRevokeView(DeskView):
    """GET asks (a page, so it works without JavaScript); POST revokes."""

    def token(self, request, pk):
        # Scoped to the caller's own tokens: another user's token id is a 404.
        return get_object_or_404(selectors.api_token_list(user=request.user), pk=pk)

    def get(self, request, pk):
        token = self.token(request, pk)
        if not token.is_active:
            messages.info(
                request, _("The token “%(name)s” is already revoked.") % {"name": token.name}
            )
            return redirect("core:tokens")
        return _tokens_page(request, revoking=token)

    def post(self, request, pk):
        token = self.token(request, pk)
        services.api_token_revoke(token=token, request=request)
        messages.success(request, _("The token “%(name)s” was revoked.") % {"name": token.name})
        return redirect("core:tokens")


class SystemView(DeskView):
    roles = (Role.ADMINISTRATOR,)
    section = "admin"

    def get(self, request):
        return render(
            request,
            "core/system.html",
            {
                "health": health.check_all(),
                "pings": selectors.worker_ping_list(),
            },
        )

    def post(self, request):
        services.worker_ping_create(user=request.user)
        messages.info(request, _("A test task was sent. Reload to see whether a worker ran it."))
        return redirect("core:system")


@never_cache
@require_GET
def healthz(request):
    report = health.check_all()
    status = 200 if all(v == "ok" for v in report.values()) else 503
    # Final failures need a person, not a restart: they are reported without failing the probe.
    return JsonResponse(
        {
            "status": "ok" if status == 200 else "unavailable",
            **report,
            "failed": health.failures() if status == 200 else {},
        },
        status=status,
    )


@require_GET
def favicon(request):
    """/favicon.ico, which browsers ask for on their own: served here rather than redirected, so it
    is one request and works whether or not static files are collected (tests, runserver)."""
    path = finders.find("favicon.ico")
    if path is None:
        raise Http404
    response = FileResponse(open(path, "rb"), content_type="image/x-icon")  # noqa: SIM115
    patch_cache_control(response, public=True, max_age=60 * 60 * 24)
    return response


class NotificationListView(DeskView):
    """The user's notifications, newest first; POST marks one or all as read."""

    def get(self, request):
        from .pagination import window_page

        page = window_page(
            notifications.notification_list(user=request.user), request.GET.get("page"), 25
        )
        return render(request, "core/notifications.html", {"page": page})

    def post(self, request):
        raw = request.POST.get("notification")
        notifications.notification_mark_read(
            user=request.user, notification_id=int(raw) if raw and raw.isdigit() else None
        )
        target = request.POST.get("next", "")
        # Only follow links inside the desk: a notification URL is a path we wrote ourselves.
        if target.startswith("/") and not target.startswith("//"):
            return redirect(target)
        return redirect("core:notifications")
