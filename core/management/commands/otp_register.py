"""Register a user's TOTP device from the command line: the break-glass administrator's way to set up
two-factor when company sign-on is on (the password form then only lets in a superuser whose device is
already confirmed, core/security.py)."""

from __future__ import annotations

import base64

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django_otp import user_has_device
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import random_hex

from core.security import DEVICE_NAME
from core.users import user_named


class Command(BaseCommand):
    help = (
        "Register a TOTP device for a user (the break-glass administrator when company sign-on is on): "
        "shows the key for the authenticator app, then asks a code from it to confirm."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")

    def handle(self, *args, username: str, **options) -> None:
        user = user_named(username)
        if user_has_device(user):
            raise CommandError(f"{username} already has a device; `otp_reset {username}` removes it first.")
        key = random_hex(20)
        preview = TOTPDevice(user=user, name=DEVICE_NAME, key=key)  # not saved: for its otpauth:// URL only
        self.stdout.write("Add this key to the authenticator app (or open the otpauth:// link):")
        self.stdout.write("  " + base64.b32encode(bytes.fromhex(key)).decode("ascii"))
        self.stdout.write("  " + preview.config_url)
        totp = TOTP(bytes.fromhex(key))
        token = input("Code shown by the app: ").strip().replace(" ", "")
        if not token.isdigit() or not totp.verify(int(token), tolerance=1):
            raise CommandError("This code is not valid: nothing registered. Run the command again.")
        with transaction.atomic():
            TOTPDevice.objects.filter(user=user).delete()
            TOTPDevice.objects.create(user=user, name=DEVICE_NAME, key=key, confirmed=True, last_t=totp.t())
        self.stdout.write(f"{username}: two-factor device registered.")
