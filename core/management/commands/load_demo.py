"""Load the demo data set (idempotent); `make run` calls it. Refused on production settings unless the
server is flagged as a demonstration server (core/demo.py, demo_password)."""

from django.core.management.base import BaseCommand, CommandError

from core.demo import DemoRefused, load_demo


class Command(BaseCommand):
    help = "Load Vigie's demo data: one user per role and a realistic organisation (idempotent)."

    def handle(self, *args: object, **options: object) -> None:
        try:
            load_demo(self.stdout.write)
        except DemoRefused as exc:
            raise CommandError(str(exc)) from exc
