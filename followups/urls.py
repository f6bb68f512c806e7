from django.urls import path

from . import views

app_name = "followups"

urlpatterns = [
    path("", views.CallbackListView.as_view(), name="index"),
    path("new/", views.CallbackCreateView.as_view(), name="create"),
    path("calendar/", views.CallbackCalendarView.as_view(), name="calendar"),
    path("manager/", views.CallbackManagerView.as_view(), name="manager"),
    path("<int:pk>/", views.CallbackDetailView.as_view(), name="detail"),
    path("<int:pk>/not-reached/", views.VisitNotReachedView.as_view(), name="not_reached"),
    path("<int:pk>/outcome/", views.VisitOutcomeView.as_view(), name="outcome"),
    path("<int:pk>/assign/", views.VisitAssignView.as_view(), name="assign"),
    path("<int:pk>/reschedule/", views.VisitRescheduleView.as_view(), name="reschedule"),
    path("<int:pk>/cancel/", views.VisitCancelView.as_view(), name="cancel"),
]
