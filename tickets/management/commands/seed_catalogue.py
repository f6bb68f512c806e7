from django.core.management.base import BaseCommand

from tickets.catalogue import catalogue_seed_defaults


class Command(BaseCommand):
    help = "Create the default service categories, calendar and targets (idempotent)."

    def handle(self, *args, **options):
        result = catalogue_seed_defaults()
        self.stdout.write(f"{len(result['categories'])} categories ready.")
