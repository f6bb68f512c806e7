"""The results pages (per template: distribution, trend, by aim), under /surveys/results/ in the
`surveys` namespace."""

from django.urls import path

from . import results_views

urlpatterns = [
    path("", results_views.ResultsOverviewView.as_view(), name="results_overview"),
    path("<int:template_id>/", results_views.ResultsView.as_view(), name="results"),
    path("<int:template_id>/csv/", results_views.ResultsCsvView.as_view(), name="results_csv"),
]
