"""/api/v1/reviews/ and /api/v1/check-forms/."""

from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("reviews", views.ReviewViewSet, basename="review")
router.register("check-forms", views.CheckFormViewSet, basename="check-form")

urlpatterns = [*router.urls]
