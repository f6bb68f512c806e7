"""Staff pages of the core: My work, section placeholders, account, tokens, system status."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from . import health, mywork, notifications, selectors, services
from .exceptions import DomainError
from .forms import ApiTokenForm, TimeZoneForm
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


# What each section will hold, shown until its module lands (no dead links in the shell).
PLACEHOLDERS = {
    "customers": gettext_lazy(
        "The customer archive: classifications, contacts, products owned, "
        "interactions and the 360° view."
    ),
    "records": gettext_lazy(
        "Pre-sale, in-sale and after-sale service records, routed to the "
        "responsible department with time targets."
    ),
    "complaints": gettext_lazy(
        "Complaints handled through the six steps: acknowledge, listen, "
        "restate, options, act and re-check."
    ),
    "callbacks": gettext_lazy("Return visits by phone or on site, scheduled from rules."),
    "surveys": gettext_lazy(
        "Satisfaction surveys sent as one-time links; low scores open recovery work."
    ),
    "dashboard": gettext_lazy(
        "Satisfaction, complaint rate, time targets and the service audit for managers."
    ),
}


class SectionPlaceholderView(DeskView):
    title = ""

    def get(self, request):
        return render(
            request,
            "core/placeholder.html",
            {
                "title": self.title,
                "what": PLACEHOLDERS[self.section],
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


class ApiTokenListView(DeskView):
    def get(self, request, form=None, new_key=None):
        return render(
            request,
            "core/tokens.html",
            {
                "tokens": selectors.api_token_list(user=request.user),
                "form": form or ApiTokenForm(),
                "new_key": new_key,
            },
        )

    def post(self, request):
        form = ApiTokenForm(request.POST)
        if not form.is_valid():
            return self.get(request, form=form)
        try:
            _token, key = services.api_token_create(
                user=request.user, name=form.cleaned_data["name"]
            )
        except DomainError as exc:
            form.add_error(exc.field, exc.message)
            return self.get(request, form=form)
        # The key is rendered in this one response and never again.
        return self.get(request, new_key=key)


class ApiTokenRevokeView(DeskView):
    def post(self, request, pk):
        # Scoped to the caller's own tokens: another user's token id is a 404.
        token = get_object_or_404(selectors.api_token_list(user=request.user), pk=pk)
        services.api_token_revoke(token=token)
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
    return JsonResponse(
        {"status": "ok" if status == 200 else "unavailable", **report}, status=status
    )


class NotificationListView(DeskView):
    """The user's notifications, newest first; POST marks one or all as read."""

    def get(self, request):
        from django.core.paginator import Paginator

        page = Paginator(notifications.notification_list(user=request.user), 25).get_page(
            request.GET.get("page")
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
