from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from servicedesk.core import views as core_views
from servicedesk.core.api.views import api_not_found
from servicedesk.core.forms import LoginForm
from servicedesk.securitylog.views import TwoFactorView
from surveys import public as survey_public

api_v1 = [
    path("", include("servicedesk.core.api.urls")),
    path("", include("customers.api.urls")),
    path("", include("tickets.api.urls")),
    path("", include("followups.api.urls")),
    path("", include("surveys.api.urls")),
    path("", include("servicedesk.audit.api.urls")),
    path("", include("servicedesk.dashboard.api.urls")),
]

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("favicon.ico", core_views.favicon, name="favicon"),
    path("i18n/", include("django.conf.urls.i18n")),
    # One sign-in form for everyone, with the lock-out and the authenticator code (securitylog).
    path("admin/login/", RedirectView.as_view(pattern_name="login", query_string=True)),
    path("admin/", admin.site.urls),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(
            authentication_form=LoginForm, redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("account/two-factor/", TwoFactorView.as_view(), name="two_factor"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/v1/", include((api_v1, "api"), namespace="v1")),
    re_path(r"^api/", api_not_found),
    path("", include("servicedesk.core.urls")),
    path("", include("tickets.urls")),
    path("customers/", include("customers.urls")),
    path("callbacks/", include("followups.urls")),
    path("surveys/", include("surveys.urls")),
    # The customers' side of a survey: a public, tokenised link (surveys/public.py).
    path("s/<str:token>/", survey_public.AnswerView.as_view(), name="survey_answer"),
    path("s/<str:token>/thanks/", survey_public.ThanksView.as_view(), name="survey_thanks"),
    path("dashboard/", include("servicedesk.dashboard.urls")),
    path("audit/", include("servicedesk.audit.urls")),
    path("feedback/", include("servicedesk.feedback.urls")),
]

handler400 = "servicedesk.core.errors.bad_request"
handler403 = "servicedesk.core.errors.permission_denied"
handler404 = "servicedesk.core.errors.not_found"
handler500 = "servicedesk.core.errors.server_error"

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
