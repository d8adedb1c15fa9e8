"""Load demo data: staff for every role (printed with passwords) and each app's demo rows."""

from django.core.management.base import BaseCommand

from portal import demo


class Command(BaseCommand):
    help = "Create demo staff for every role and each app's demo data (idempotent)."

    def handle(self, *args: object, **options: object) -> None:
        demo.refuse_outside_debug("demo_setup")
        for _order, name, loader in demo.loaders():
            self.stdout.write(self.style.MIGRATE_HEADING(f"== {name}"))
            loader(lambda text: self.stdout.write(text))
