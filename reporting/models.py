"""Yearly indicator snapshots, their freezing, and the manual indicators.

- `ReportingYear`: one fiscal year's snapshot; frozen (who, when) once verified. A frozen year never
  changes: recomputing it shows the differences (reporting/services.py) without writing them;
  unfreezing needs a reason, kept in the history.
- `IndicatorValue`: one computed indicator of a year: value, numerator, denominator, when it was
  computed, the method text of that computation, and the records behind it (model + ids, in
  `records`; their SHA-256 in `records_sha256`). The history keeps every value with the hash of its
  records, not the id lists themselves (a nightly recomputation would copy hundreds of thousands of
  ids into the history table every night); `records` of the current value is what the auditor pack
  exports.
- `ManualValue`: an indicator entered by a person (emissions, complaints, social dialogue...) with its
  owner and its source document; refused without a source.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from . import catalogue


class ValueStatus(models.TextChoices):
    OK = "ok", _("computed")
    NO_DATA = "no_data", _("no data")
    ERROR = "error", _("error")


class ReportingYear(models.Model):
    year = models.PositiveSmallIntegerField(_("fiscal year"), unique=True)
    computed_at = models.DateTimeField(_("last computed at"), null=True, blank=True)
    frozen_at = models.DateTimeField(_("frozen at"), null=True, blank=True)
    frozen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("frozen by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    unfreeze_reason = models.TextField(_("reason of the last unfreezing"), blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("reporting year")
        verbose_name_plural = _("reporting years")
        ordering = ["-year"]
        constraints = [
            models.CheckConstraint(
                condition=Q(frozen_at__isnull=True, frozen_by__isnull=True)
                | Q(frozen_at__isnull=False, frozen_by__isnull=False),
                name="reportingyear_frozen_with_who_and_when",
            ),
        ]

    def __str__(self) -> str:
        return str(self.year)

    @property
    def frozen(self) -> bool:
        return self.frozen_at is not None


class IndicatorValue(models.Model):
    reporting_year = models.ForeignKey(
        ReportingYear, verbose_name=_("fiscal year"), on_delete=models.CASCADE, related_name="values"
    )
    code = models.CharField(_("indicator"), max_length=64)
    status = models.CharField(_("status"), max_length=16, choices=ValueStatus.choices, default=ValueStatus.OK)
    value = models.DecimalField(_("value"), max_digits=20, decimal_places=4, null=True, blank=True)
    numerator = models.BigIntegerField(_("numerator"), null=True, blank=True)
    denominator = models.BigIntegerField(_("denominator"), null=True, blank=True)
    computed_at = models.DateTimeField(_("computed at"))
    method = models.TextField(_("method"))
    message = models.TextField(_("message"), blank=True)
    #: [{"model": "gdpr.rightsrequest", "ids": [1, 2, ...]}, ...]
    records = models.JSONField(_("records behind the value"), default=list, blank=True)
    records_count = models.PositiveIntegerField(_("number of records"), default=0)
    records_sha256 = models.CharField(_("SHA-256 of the records"), max_length=64, blank=True)
    history = HistoricalRecords(excluded_fields=["records"])

    class Meta:
        verbose_name = _("indicator value")
        verbose_name_plural = _("indicator values")
        ordering = ["reporting_year", "code"]
        constraints = [
            models.UniqueConstraint(fields=["reporting_year", "code"], name="indicatorvalue_once_per_year"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.reporting_year_id}"

    @property
    def definition(self) -> catalogue.Definition | None:
        return catalogue.BY_CODE.get(self.code)


def _manual_codes() -> list[tuple[str, str]]:
    return [(d.code, d.code) for d in catalogue.DEFINITIONS if not d.computed]


class ManualValue(models.Model):
    """An indicator no record in Vigie can compute, entered with its owner and its source."""

    year = models.PositiveSmallIntegerField(_("fiscal year"))
    code = models.CharField(_("indicator"), max_length=64, choices=_manual_codes())
    value = models.DecimalField(_("value"), max_digits=20, decimal_places=4)
    owner = models.CharField(
        _("owner"), max_length=200, help_text=_("Who is accountable for this figure (name and function).")
    )
    source_reference = models.CharField(
        _("source reference"),
        max_length=500,
        blank=True,
        help_text=_("The document the figure comes from (title, date, page), when no file is attached."),
    )
    source_document = models.FileField(_("source document"), upload_to="reporting/sources/%Y/", blank=True)
    comment = models.TextField(_("comment"), blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("entered by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    entered_at = models.DateTimeField(_("entered at"), auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("manual indicator value")
        verbose_name_plural = _("manual indicator values")
        ordering = ["-year", "code"]
        constraints = [
            models.UniqueConstraint(fields=["year", "code"], name="manualvalue_once_per_year"),
            models.CheckConstraint(
                condition=~Q(source_reference="") | ~Q(source_document=""), name="manualvalue_has_a_source"
            ),
            models.CheckConstraint(condition=~Q(owner=""), name="manualvalue_has_an_owner"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.year}"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if not (self.source_reference or "").strip() and not self.source_document:
            raise ValidationError(
                {"source_reference": _("A manual value needs its source: attach the document or give its reference.")}
            )
