"""/api/v1/survey-templates/, /api/v1/survey-invitations/, /api/v1/survey-responses/."""

from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("survey-templates", views.SurveyTemplateViewSet, basename="survey-template")
router.register("survey-invitations", views.SurveyInvitationViewSet, basename="survey-invitation")
router.register("survey-responses", views.SurveyResponseViewSet, basename="survey-response")

urlpatterns = [*router.urls]
