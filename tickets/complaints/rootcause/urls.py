"""Included by tickets.urls under complaints/: fixed words (fishbone/, workshops/) and the
complaint's own <pk>/cause/, so nothing here overlaps the complaint pages' routes."""

from django.urls import path

from . import views

app_name = "rootcause"

urlpatterns = [
    path("fishbone/", views.FishboneView.as_view(), name="fishbone"),
    path("workshops/", views.WorkshopListView.as_view(), name="workshops"),
    path("workshops/new/", views.WorkshopCreateView.as_view(), name="workshop_create"),
    path("workshops/<int:pk>/", views.WorkshopView.as_view(), name="workshop"),
    path(
        "workshops/<int:pk>/participants/",
        views.WorkshopParticipantsView.as_view(),
        name="workshop_participants",
    ),
    path("workshops/<int:pk>/causes/", views.WorkshopCauseView.as_view(), name="workshop_cause"),
    path(
        "workshops/<int:pk>/solutions/",
        views.WorkshopSolutionView.as_view(),
        name="workshop_solution",
    ),
    path("workshops/<int:pk>/choose/", views.WorkshopChooseView.as_view(), name="workshop_choose"),
    path(
        "workshops/<int:pk>/actions/<int:action_id>/done/",
        views.WorkshopActionDoneView.as_view(),
        name="workshop_action_done",
    ),
    path("<int:pk>/cause/", views.CauseView.as_view(), name="cause"),
    path(
        "<int:pk>/cause/actions/<int:action_id>/done/",
        views.CauseActionDoneView.as_view(),
        name="cause_action_done",
    ),
]
