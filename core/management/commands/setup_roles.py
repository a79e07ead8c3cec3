"""Create the groups Compliance officer, DPO, Training manager and Auditor with their permissions."""

from django.core.management.base import BaseCommand

from core.roles import setup_roles


class Command(BaseCommand):
    help = "Create or update Vigie's role groups and their model permissions (idempotent)."

    def handle(self, *args: object, **options: object) -> None:
        for name, count in setup_roles().items():
            self.stdout.write(f"{name}: {count} permissions")
