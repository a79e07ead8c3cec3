"""Choices of the training app."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ModuleKind(models.TextChoices):
    E_LEARNING = "e_learning", _("E-learning")
    IN_PERSON = "in_person", _("In-person workshop")
    VIRTUAL = "virtual", _("Virtual classroom")


class Audience(models.TextChoices):
    ALL_STAFF = "all_staff", _("All staff")
    MANAGERS = "managers", _("Managers")


class CompletionAnomaly(models.TextChoices):
    """Why a completion is kept but not counted (docs/interfaces.md: flagged, not counted)."""

    NONE = "", _("None")
    FUTURE = "future", _("Dated in the future when imported")
    BEFORE_DEPLOYMENT = "before_deployment", _("Dated before the module's deployment")


class AttendanceRole(models.TextChoices):
    PARTICIPANT = "participant", _("Participant")
    ORGANISER = "organiser", _("Organiser")
    FACILITATOR = "facilitator", _("Facilitator")
