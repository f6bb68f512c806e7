from django.urls import path
from django.utils.translation import gettext_lazy as _

from servicedesk.core.views import SectionPlaceholderView

from . import views

app_name = "tickets"

urlpatterns = [
    path("records/", views.RecordListView.as_view(), name="index"),
    path("records/new/", views.RecordCreateView.as_view(), name="create"),
    path("records/<int:pk>/", views.RecordDetailView.as_view(), name="detail"),
    path("records/<int:pk>/edit/", views.RecordEditView.as_view(), name="edit"),
    path("records/<int:pk>/messages/", views.RecordMessageView.as_view(), name="message_add"),
    path(
        "records/<int:pk>/attachments/",
        views.RecordAttachmentView.as_view(),
        name="attachment_add",
    ),
    path(
        "records/<int:pk>/attachments/<int:attachment_id>/",
        views.AttachmentDownloadView.as_view(),
        name="attachment_download",
    ),
    path("records/<int:pk>/status/", views.RecordTransitionView.as_view(), name="transition"),
    path("records/<int:pk>/assign/", views.RecordAssignView.as_view(), name="assign"),
    # Complaints are a later issue; the section stays a placeholder until then.
    path(
        "complaints/",
        SectionPlaceholderView.as_view(
            section="complaints",
            what=_(
                "Complaints handled through the six steps: acknowledge, listen, "
                "restate, options, act and re-check."
            ),
            title=_("Complaints"),
        ),
        name="complaints",
    ),
]
