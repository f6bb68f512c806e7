from django.urls import path

from . import views

app_name = "dashboard"

urlpatterns = [
    path("", views.DashboardView.as_view(), name="index"),
    path("export/<slug:table>.csv", views.ExportView.as_view(), name="export"),
    path("me/", views.AgentDashboardView.as_view(), name="me"),
    path("me/export/<slug:table>.csv", views.AgentExportView.as_view(), name="me_export"),
]
