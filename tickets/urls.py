from django.urls import path
from django.utils.translation import gettext_lazy as _

from servicedesk.core.views import SectionPlaceholderView

app_name = "tickets"

urlpatterns = [
    path(
        "records/",
        SectionPlaceholderView.as_view(section="records", title=_("Service records")),
        name="index",
    ),
    path(
        "complaints/",
        SectionPlaceholderView.as_view(section="complaints", title=_("Complaints")),
        name="complaints",
    ),
]
