from django.core.management.base import BaseCommand

from followups.defaults import callback_seed_defaults


class Command(BaseCommand):
    help = (
        "Create the desk's default callback rules and greeting dates (idempotent; an edited rule "
        "is never overwritten). Run after seed_catalogue: the rules name its categories."
    )

    def handle(self, *args, **options):
        result = callback_seed_defaults()
        if not result["rules"]:
            self.stderr.write("No customer-service department yet: run seed_catalogue first.")
            return
        self.stdout.write(f"{len(result['rules'])} callback rules ready.")
