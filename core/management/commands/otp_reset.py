"""Remove the two-factor devices of a user who lost theirs: a new one is registered at the next login."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django_otp.plugins.otp_totp.models import TOTPDevice


class Command(BaseCommand):
    help = "Remove a user's TOTP devices (lost phone): the user registers a new one at the next login."

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")

    def handle(self, *args, username: str, **options) -> None:
        User = get_user_model()
        try:
            user = User.objects.get(**{User.USERNAME_FIELD: username})
        except User.DoesNotExist:
            raise CommandError(f"No user named {username!r}.") from None
        deleted, _ = TOTPDevice.objects.filter(user=user).delete()
        self.stdout.write(f"{username}: {deleted} device(s) removed; a new one is registered at the next login.")
