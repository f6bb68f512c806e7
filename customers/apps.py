from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "customers"
    verbose_name = _("Customers")

    def ready(self) -> None:
        from servicedesk.core import navigation

        navigation.register(
            navigation.NavItem("customers", _("Customers"), "customers:index", order=10)
        )
        from servicedesk.core.roles import Role, grant

        from . import sections

        # Agents and managers read and write the archive; administrators also delete and keep
        # the product catalogue. Pages and API check the role; these permissions back the admin.
        models = (
            "customer",
            "contact",
            "contactpoint",
            "address",
            "productowned",
            "interaction",
            "tag",
            "importjob",
        )
        write = [f"customers.{a}_{m}" for m in models for a in ("view", "add", "change")]
        grant(Role.AGENT, *write, "customers.view_product")
        grant(Role.MANAGER, *write, "customers.view_product")
        grant(
            Role.ADMINISTRATOR,
            *(
                f"customers.{a}_{m}"
                for m in (*models, "product")
                for a in ("view", "add", "change", "delete")
            ),
        )
        sections.register()
