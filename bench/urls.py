"""ROOT_URLCONF of servicedesk.settings.bench: the desk's URLs plus the floor.

The floor is the cheapest request the stack can answer with the database: the same middleware
(sessions, auth, locale, time zone, history), one primary-key query, a tiny response. Each page's
p95 is reported as a multiple of the floor's p95 measured in the same run.
"""

from django.http import HttpResponse
from django.urls import include, path

from servicedesk.core.models import Department


def floor(request, pk: int = 0):
    department = Department.objects.filter(pk=pk or request.GET.get("pk") or 1).first()
    return HttpResponse(department.code if department else "-", content_type="text/plain")


urlpatterns = [
    path("bench/floor/", floor, name="bench_floor"),
    path("bench/floor/<int:pk>/", floor, name="bench_floor_pk"),
    path("", include("servicedesk.urls")),
]

from servicedesk.urls import handler400, handler403, handler404, handler500  # noqa: E402, F401
