from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("departments", views.DepartmentViewSet, basename="department")
router.register("system/pings", views.WorkerPingViewSet, basename="worker-ping")

urlpatterns = [
    path("me/", views.MeView.as_view(), name="me"),
    *router.urls,
]
