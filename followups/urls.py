from django.urls import path
from django.utils.translation import gettext_lazy as _

from servicedesk.core.views import SectionPlaceholderView

app_name = "followups"

urlpatterns = [
    path(
        "",
        SectionPlaceholderView.as_view(
            section="callbacks",
            what=_("Return visits by phone or on site, scheduled from rules."),
            title=_("Callbacks"),
        ),
        name="index",
    ),
]
