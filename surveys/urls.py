from django.urls import path
from django.utils.translation import gettext_lazy as _

from servicedesk.core.views import SectionPlaceholderView

app_name = "surveys"

urlpatterns = [
    path(
        "",
        SectionPlaceholderView.as_view(
            section="surveys",
            what=_("Satisfaction surveys sent as one-time links; low scores open recovery work."),
            title=_("Surveys"),
        ),
        name="index",
    ),
]
