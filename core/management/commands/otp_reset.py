"""Remove the two-factor devices of a user who lost theirs: a new one is registered at the next login."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.users import user_named


class Command(BaseCommand):
    help = "Remove a user's TOTP devices (lost phone): the user registers a new one at the next login."

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")

    def handle(self, *args, username: str, **options) -> None:
        user = user_named(username)
        deleted, _ = TOTPDevice.objects.filter(user=user).delete()
        self.stdout.write(f"{username}: {deleted} device(s) removed; a new one is registered at the next login.")
