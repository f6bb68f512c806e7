from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("service-records", views.ServiceRecordViewSet, basename="service-record")
router.register("categories", views.CategoryViewSet, basename="category")

urlpatterns = [*router.urls]
