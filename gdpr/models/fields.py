"""Fields several gdpr records share."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def controller_entity(help_text: StrOrPromise | None = None) -> models.ForeignKey:
    """The legal entity that is the controller of the record (organization.LegalEntity); empty: the parent
    company, which the services, the API and the imports fill in."""
    return models.ForeignKey(
        "organization.LegalEntity",
        verbose_name=_("legal entity (controller)"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=help_text or _("The legal entity that is the controller; empty: the parent company."),
    )
