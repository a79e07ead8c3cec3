"""Load the demo data set (idempotent); `make run` calls it."""
from django.core.management.base import BaseCommand

from core.demo import load_demo


class Command(BaseCommand):
    help = "Load Vigie's demo data: one user per role and a realistic organisation (idempotent)."

    def handle(self, *args: object, **options: object) -> None:
        load_demo(self.stdout.write)
