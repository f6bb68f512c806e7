"""The endpoints the benchmark loads, with ids picked from the generated data."""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "servicedesk.settings.local")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402

BENCH_USER = "chen"  # a manager: sees the department queues, the widest staff view


def bench_user():
    return get_user_model().objects.get(username=BENCH_USER)


def endpoints() -> list[dict]:
    from customers.models import Customer
    from tickets.selectors import record_visible

    customer = Customer.objects.filter(is_archived=False).order_by("-pk").first()
    # A record the bench user may open; others would measure the 404 page.
    record = record_visible(bench_user()).order_by("-pk").first()
    digits = customer.contact_points.filter(kind="phone").values_list("value", flat=True).first()
    return [
        {"name": "my_work", "path": "/"},
        {"name": "customer_list", "path": "/customers/"},
        {"name": "customer_search_phone", "path": f"/customers/?q={(digits or '0000')[-4:]}"},
        {"name": "customer_360", "path": f"/customers/{customer.pk}/"},
        {"name": "record_list", "path": "/records/"},
        {"name": "record_detail", "path": f"/records/{record.pk}/"},
        {"name": "api_customers", "path": "/api/v1/customers/"},
        {"name": "api_records", "path": "/api/v1/service-records/"},
    ]
