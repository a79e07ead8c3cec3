"""The conflict-of-interest and corruption risk maps (loi Sapin II art. 17; AFA recommendations 2021)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from ..choices import ControlEffectiveness, FunctionType, RiskMapKind


class MacroProcess(models.Model):
    """Reference data: the macro-processes a map of that kind covers (the demo has 17 per kind)."""

    kind = models.CharField(_("map kind"), max_length=24, choices=RiskMapKind.choices)
    code = models.CharField(_("code"), max_length=32)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("macro-process")
        verbose_name_plural = _("macro-processes")
        ordering = ["kind", "code"]
        constraints = [models.UniqueConstraint(fields=["kind", "code"], name="macroprocess_unique_code_per_kind")]

    def __str__(self) -> str:
        return f"{self.code} – {self.name}"


class RiskMap(models.Model):
    """One dated version of a map; a new version starts as a copy of the previous one."""

    kind = models.CharField(_("kind"), max_length=24, choices=RiskMapKind.choices)
    version = models.PositiveIntegerField(_("version"))
    title = models.CharField(_("title"), max_length=200, blank=True)
    based_on = models.ForeignKey(
        "self", verbose_name=_("copied from"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_on = models.DateField(_("approved on"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    notes = models.TextField(_("notes"), blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("risk map")
        verbose_name_plural = _("risk maps")
        ordering = ["kind", "-version"]
        constraints = [models.UniqueConstraint(fields=["kind", "version"], name="riskmap_unique_version_per_kind")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} v{self.version}"


class Risk(models.Model):
    """A risk of a map version: gross likelihood × impact, controls, then net (residual) risk."""

    map = models.ForeignKey(RiskMap, verbose_name=_("risk map"), on_delete=models.CASCADE, related_name="risks")
    code = models.CharField(_("code"), max_length=32)
    title = models.CharField(_("title"), max_length=255)
    macro_process = models.ForeignKey(
        MacroProcess, verbose_name=_("macro-process"), on_delete=models.PROTECT, related_name="risks"
    )
    scenario = models.TextField(_("scenario"), blank=True)
    gross_likelihood = models.PositiveSmallIntegerField(_("gross likelihood"))
    gross_impact = models.PositiveSmallIntegerField(_("gross impact"))
    gross_score = models.PositiveSmallIntegerField(_("gross score"), editable=False)
    existing_controls = models.TextField(_("existing controls"), blank=True)
    control_effectiveness = models.CharField(
        _("control effectiveness"),
        max_length=16,
        choices=ControlEffectiveness.choices,
        default=ControlEffectiveness.NONE,
    )
    net_likelihood = models.PositiveSmallIntegerField(_("net likelihood"))
    net_impact = models.PositiveSmallIntegerField(_("net impact"))
    net_score = models.PositiveSmallIntegerField(_("net score"), editable=False, db_index=True)
    owner = models.CharField(_("owner"), max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("risk")
        verbose_name_plural = _("risks")
        ordering = ["map", "-net_score", "code"]
        constraints = [models.UniqueConstraint(fields=["map", "code"], name="risk_unique_code_per_map")]

    def __str__(self) -> str:
        return f"{self.code} – {self.title}"


class RiskInterview(models.Model):
    """An interview held to build a map version (AFA: the map rests on interviews of the functions)."""

    map = models.ForeignKey(RiskMap, verbose_name=_("risk map"), on_delete=models.CASCADE, related_name="interviews")
    held_on = models.DateField(_("held on"))
    function = models.CharField(_("function interviewed"), max_length=200)
    function_type = models.CharField(_("function type"), max_length=16, choices=FunctionType.choices)
    macro_process = models.ForeignKey(
        MacroProcess,
        verbose_name=_("macro-process"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="interviews",
    )
    notes = models.TextField(_("notes"), blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("risk interview")
        verbose_name_plural = _("risk interviews")
        ordering = ["map", "held_on"]

    def __str__(self) -> str:
        return f"{self.function} ({self.held_on})"
