"""The stored figures of a module's page: a snapshot of its completion rate, breakdowns and monthly trend for
one reference day and scope, computed nightly for the whole company (training/tasks.py) and on demand
(the module page's "Recompute now"), by training/figures.py."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ModuleFigures(models.Model):
    """The figures of `module` as of `day` over a scope (whole company, or one entity and/or department),
    computed at `computed_at` from the records by training.kpis.

    Derived data, without history on purpose: every figure is recomputed from the completions, attendances
    and roster (which keep their own history), a snapshot is replaced as a whole by its next computation,
    and the pages show `computed_at` beside what they read. A history would only copy the JSON every night.

    `figures` holds (see training/figures.py, `compute`): the rate ("numerator", "denominator"), the
    breakdowns ({by: [[key, label, numerator, denominator], ...]}) and the trend ([[day, numerator,
    denominator], ...], the end of each month then `day`).
    """

    module = models.ForeignKey(
        "training.Module", on_delete=models.CASCADE, related_name="figures", verbose_name=_("module")
    )
    day = models.DateField(_("reference day"))
    #: "" for the whole company, else "entity=<code>", "department=<id>" or both, joined by "&" (see
    #: training/figures.py, `scope_key`): a plain key, so that the unique constraint holds on SQLite too.
    scope = models.CharField(_("scope"), max_length=120, blank=True)
    entity = models.ForeignKey(
        "organization.LegalEntity", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    department = models.ForeignKey(
        "organization.Department", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    computed_at = models.DateTimeField(_("computed at"))
    figures = models.JSONField(_("figures"))

    class Meta:
        verbose_name = _("module figures")
        verbose_name_plural = _("module figures")
        constraints = [
            models.UniqueConstraint(fields=["module", "scope", "day"], name="module_figures_one_per_selection")
        ]

    def __str__(self) -> str:
        return f"{self.module_id} {self.scope or '*'} {self.day}"
