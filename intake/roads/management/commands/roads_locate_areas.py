"""Set road reports' 地域 from their location after area boundaries were uploaded (or changed)."""

from django.core.management.base import BaseCommand

from intake.roads import services


class Command(BaseCommand):
    help = "Set each located road report's 地域 from the area boundaries (by default only where it is blank)."

    def add_arguments(self, parser) -> None:  # noqa: ANN001
        parser.add_argument(
            "--all",
            action="store_true",
            help="recompute every located report, also those whose area is set (staff choices are overwritten)",
        )

    def handle(self, *args, **options) -> None:  # noqa: ANN002, ANN003
        changed, checked = services.reports_locate_areas(only_blank=not options["all"])
        self.stdout.write(f"roads: {checked} located reports checked, {changed} areas set")
