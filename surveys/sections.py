"""The customer's 360° page: their latest survey answers (customers.timeline's section registry,
registered in apps.py), with a link to enter answers read out on a call."""

from servicedesk.core.jinja_env import id_url

from . import rows


def customer_section(customer, user) -> dict:
    """One query: the customer's latest responses the user sees."""
    url = id_url("surveys:response")
    return {
        "rows": [
            rows.customer_response_row(values, url)
            for values in rows.customer_responses(customer.pk, user)
        ]
    }
