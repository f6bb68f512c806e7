from django.urls import include, path

from . import views
from .complaints import step_views
from .complaints import views as complaint_views

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
    path("complaints/", complaint_views.ComplaintListView.as_view(), name="complaints"),
    path("complaints/new/", step_views.ComplaintOpenView.as_view(), name="complaint_open"),
    path(
        "complaints/<int:pk>/",
        complaint_views.ComplaintDetailView.as_view(),
        name="complaint_detail",
    ),
    path(
        "complaints/<int:pk>/steps/",
        step_views.ComplaintStepView.as_view(),
        name="complaint_step",
    ),
    path(
        "complaints/<int:pk>/revise/",
        step_views.ComplaintReviseView.as_view(),
        name="complaint_revise",
    ),
    path(
        "complaints/<int:pk>/actions/<int:action_id>/",
        step_views.ComplaintActionView.as_view(),
        name="complaint_action",
    ),
    path(
        "complaints/<int:pk>/reopen/",
        step_views.ComplaintReopenView.as_view(),
        name="complaint_reopen",
    ),
    # Root cause: complaints/fishbone/, complaints/workshops/…, complaints/<pk>/cause/….
    path("complaints/", include("tickets.complaints.rootcause.urls")),
]
