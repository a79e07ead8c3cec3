"""The named system user that commands and tasks act as, so every history row names someone."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.management.base import CommandError


def get_system_user() -> AbstractBaseUser:
    """settings.VIGIE_SYSTEM_USERNAME, created on first use: inactive, no usable password, so nobody
    can log in as it."""
    user_model = get_user_model()
    user, created = user_model._default_manager.get_or_create(
        **{user_model.USERNAME_FIELD: settings.VIGIE_SYSTEM_USERNAME}, defaults={"is_active": False}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def user_named(username: str) -> AbstractBaseUser:
    """The user a command names (its argument); a CommandError naming it when there is none."""
    user_model = get_user_model()
    try:
        return user_model._default_manager.get(**{user_model.USERNAME_FIELD: username})
    except user_model.DoesNotExist:
        raise CommandError(f"No user named {username!r}.") from None
