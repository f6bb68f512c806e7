"""A urlconf with the desk under /mounted/ (tests/core/test_reversing.py)."""

from django.urls import include, path

urlpatterns = [path("mounted/", include("servicedesk.urls"))]
