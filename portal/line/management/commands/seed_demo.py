"""``manage.py seed_demo --subscribers N``: N synthetic residents (COPY on PostgreSQL)."""

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from portal.demo import refuse_outside_debug
from portal.line.devtools.demo import segments_load_demo
from portal.line.devtools.seed import seed_residents


class Command(BaseCommand):
    help = "Create the demo areas/interests and N synthetic residents with realistic distributions."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--subscribers", type=int, required=True)
        parser.add_argument("--batch-size", type=int, default=50000)
        parser.add_argument("--seed", type=int, default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        refuse_outside_debug("seed_demo")
        started = time.monotonic()
        segments_load_demo()
        made = seed_residents(
            count=options["subscribers"],
            batch_size=options["batch_size"],
            seed=options["seed"],
            say=lambda text: self.stdout.write(f"  {text}"),
        )
        self.stdout.write(self.style.SUCCESS(f"{made} residents in {time.monotonic() - started:.1f} s"))
