from django.urls import path
from django.utils.translation import gettext_lazy as _

from servicedesk.core.roles import Role
from servicedesk.core.views import SectionPlaceholderView

app_name = "dashboard"

urlpatterns = [
    path(
        "",
        SectionPlaceholderView.as_view(
            section="dashboard",
            what=_(
                "Satisfaction, complaint rate, time targets and the service audit for managers."
            ),
            title=_("Dashboard"),
            roles=(Role.MANAGER, Role.ADMINISTRATOR),
        ),
        name="index",
    ),
]
