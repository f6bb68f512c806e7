"""One FilterSet for the staff list, the CSV export and the API, so all three filter alike."""

import django_filters
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from servicedesk.core.filters import UserIdFilter

from .models import CLASSIFICATIONS, Customer, CustomerKind, Tag
from .selectors import ORDERINGS, customer_search


class CustomerFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    kind = django_filters.ChoiceFilter(choices=CustomerKind.choices, label=_("Kind"))
    management_tier = django_filters.ChoiceFilter(
        choices=CLASSIFICATIONS["management_tier"].choices, label=_("Management tier")
    )
    lifecycle = django_filters.ChoiceFilter(
        choices=CLASSIFICATIONS["lifecycle"].choices, label=_("Lifecycle")
    )
    transaction_progress = django_filters.ChoiceFilter(
        choices=CLASSIFICATIONS["transaction_progress"].choices, label=_("Transaction progress")
    )
    chain_position = django_filters.ChoiceFilter(
        choices=CLASSIFICATIONS["chain_position"].choices, label=_("Position in the chain")
    )
    marketing_type = django_filters.ChoiceFilter(
        choices=CLASSIFICATIONS["marketing_type"].choices, label=_("Marketing type")
    )
    party = django_filters.ChoiceFilter(choices=CLASSIFICATIONS["party"].choices, label=_("Party"))
    tag = django_filters.ModelChoiceFilter(
        field_name="tags", queryset=Tag.objects.all(), label=_("Tag")
    )
    owner = UserIdFilter(
        queryset=get_user_model().objects.filter(is_active=True).order_by("username"),
        label=_("Account owner"),
    )
    region = django_filters.CharFilter(lookup_expr="iexact", label=_("Region"))
    sort = django_filters.ChoiceFilter(
        method="sort_by",
        label=_("Sort by"),
        choices=[
            ("name", _("Name A–Z")),
            ("-name", _("Name Z–A")),
            ("-created", _("Newest first")),
            ("created", _("Oldest first")),
            ("-updated", _("Recently updated")),
            ("tier", _("Management tier")),
        ],
    )

    class Meta:
        model = Customer
        fields: list[str] = []  # only the declared filters above

    def search(self, queryset, name, value):
        # The customer lists: the phones matching a suffix are read first (customer_search).
        return customer_search(queryset, value, phones_first=True)

    def sort_by(self, queryset, name, value):
        return queryset.order_by(*ORDERINGS.get(value, ORDERINGS["name"]))
