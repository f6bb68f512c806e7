"""Filters shared by the apps' lists (pages and API)."""

import django_filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from .forms import UserChoiceField


@extend_schema_field(OpenApiTypes.INT)
class UserIdFilter(django_filters.ModelChoiceFilter):
    """A user id; the page shows people by their names, not their logins."""

    field_class = UserChoiceField
