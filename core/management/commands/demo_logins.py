"""Print where the admin is served and the demo logins (used by `make run`)."""

from django.core.management.base import BaseCommand, CommandParser

from core.demo import DEMO_EXTRA_GROUPS, DEMO_USERS, demo_password, embedded_demo


class Command(BaseCommand):
    help = "Print the admin URL and the demo users' logins."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--url", default="http://127.0.0.1:8000/admin/")

    def handle(self, *args: object, url: str, **options: object) -> None:
        self.stdout.write("")
        self.stdout.write(f"Vigie admin: {url}")
        if not embedded_demo():  # a demonstration server: its password is not printed in its logs
            self.stdout.write("Demo logins (password: VIGIE_DEMO_PASSWORD):")
        else:
            self.stdout.write(f"Demo logins (password: {demo_password()}):")
        for username, (group, _first, _last) in DEMO_USERS.items():
            roles = " + ".join((group or "superuser", *DEMO_EXTRA_GROUPS.get(username, ())))
            self.stdout.write(f"  {username:<12} {roles}")
        self.stdout.write(
            "API: " + url.replace("/admin/", "/api/docs/") + "   Ctrl-C stops the server, worker and beat."
        )
        self.stdout.write("")
