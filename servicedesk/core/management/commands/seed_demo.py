import importlib

from django.apps import apps
from django.core.management.base import BaseCommand

from servicedesk.core import events
from servicedesk.core.demo import DEMO_PASSWORD, USERS


class Command(BaseCommand):
    help = "Load demo data (idempotent). Each app contributes through its own demo.seed()."

    def handle(self, *args, **options):
        # INSTALLED_APPS order is the dependency order: core, customers, tickets, followups, ...
        for config in apps.get_app_configs():
            try:
                module = importlib.import_module(f"{config.name}.demo")
            except ModuleNotFoundError as exc:
                if exc.name != f"{config.name}.demo":
                    raise
                continue
            with events.delivering_in_process():
                module.seed(stdout=self.stdout)
        self.stdout.write(
            self.style.SUCCESS(f"Demo data ready. Logins (password {DEMO_PASSWORD}):")
        )
        for username, _first, _last, name_zh, role, _m in USERS:
            self.stdout.write(f"  {role.label:<14} {username:<8} {name_zh}")
