from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("callbacks", views.CallbackVisitViewSet, basename="callback")
router.register("callback-rules", views.CallbackRuleViewSet, basename="callback-rule")

urlpatterns = [*router.urls]
