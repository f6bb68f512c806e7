from rest_framework.routers import SimpleRouter

from . import complaints, views

router = SimpleRouter()
router.register("service-records", views.ServiceRecordViewSet, basename="service-record")
router.register("categories", views.CategoryViewSet, basename="category")
router.register("complaints", complaints.ComplaintViewSet, basename="complaint")

urlpatterns = [*router.urls]
