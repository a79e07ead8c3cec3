"""Choices of the organization app."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Gender(models.TextChoices):
    FEMALE = "F", _("Female")
    MALE = "M", _("Male")
    OTHER = "X", _("Other")
    UNKNOWN = "", _("Not stated")


class ContactDomain(models.TextChoices):
    """What an entity's contact answers for: the alerts of that domain go to them (notifications)."""

    DPO = "dpo", _("Data protection officer")
    COMPLIANCE = "compliance", _("Compliance officer")
    TRAINING = "training", _("Training manager")
