from django.urls import include, path

from . import views

app_name = "surveys"

urlpatterns = [
    path("", views.ResponseListView.as_view(), name="index"),
    path("responses/<int:pk>/", views.ResponseDetailView.as_view(), name="response"),
    path("enter/", views.StaffEntryView.as_view(), name="enter"),
    path("results/", include("surveys.results_urls")),
]
