from django.urls import path

from . import views

app_name = "feedback"

urlpatterns = [
    path("", views.TeamView.as_view(), name="index"),
    path("cases/", views.CaseListView.as_view(), name="cases"),
    path("cases/new/", views.CaseCreateView.as_view(), name="case_new"),
    path("cases/<int:pk>/", views.CaseDetailView.as_view(), name="case"),
    path("cases/<int:pk>/share/", views.CaseShareView.as_view(), name="case_share"),
    path("suggestions/", views.SuggestionListView.as_view(), name="suggestions"),
    path("suggestions/new/", views.SuggestionCreateView.as_view(), name="suggestion_new"),
    path("suggestions/<int:pk>/", views.SuggestionDetailView.as_view(), name="suggestion"),
    path(
        "suggestions/<int:pk>/status/",
        views.SuggestionMoveView.as_view(),
        name="suggestion_move",
    ),
    path("meetings/", views.MeetingListView.as_view(), name="meetings"),
    path("meetings/new/", views.MeetingCreateView.as_view(), name="meeting_new"),
    path("meetings/<int:pk>/", views.MeetingDetailView.as_view(), name="meeting"),
    path("meetings/<int:pk>/edit/", views.MeetingEditView.as_view(), name="meeting_edit"),
    path("handovers/", views.HandoverSummaryView.as_view(), name="handovers"),
    path("handovers/new/", views.HandoverCreateView.as_view(), name="handover_new"),
]
