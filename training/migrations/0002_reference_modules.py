"""The reference training modules of INTERFACES.md, in every installation.

The values are frozen here (not imported from the app) so that this migration always creates what it
created on the day it was written. Existing modules with these codes are left as they are.
"""
import datetime as dt

from django.db import migrations

REFERENCE_MODULES = (
    # code, title, kind, mandatory, audience, deployed_on, renewal_months, min_attendance_minutes, expected_minutes
    ("LCBFT", "Lutte contre le blanchiment des capitaux et le financement du terrorisme (LCB-FT)",
     "e_learning", True, "all_staff", dt.date(2022, 11, 22), None, None, 60),
    ("DEONTO", "Déontologie et prévention des conflits d'intérêts",
     "e_learning", True, "all_staff", dt.date(2022, 4, 11), None, None, 45),
    ("RGPD", "Protection des données personnelles (RGPD)",
     "e_learning", True, "all_staff", dt.date(2022, 4, 11), 24, None, 45),
    ("CYBER", "Cybersécurité",
     "e_learning", True, "all_staff", dt.date(2022, 4, 11), 24, None, 45),
    ("HANDICAP", "Favoriser l'inclusion des personnes en situation de handicap",
     "e_learning", True, "all_staff", dt.date(2022, 11, 22), None, None, 30),
    ("RSE", "La démarche RSE d'Action Logement",
     "e_learning", True, "all_staff", dt.date(2023, 6, 1), None, None, 30),
    ("ATELIER-DEONTO", "Atelier conflits d'intérêts et corruption (formation interactive)",
     "in_person", False, "all_staff", dt.date(2023, 1, 1), None, 45, 90),
    ("ATELIER-FRAUDE", "Atelier lutte contre la fraude documentaire et les tentatives d'escroquerie",
     "in_person", False, "all_staff", dt.date(2023, 1, 1), None, None, 120),
    ("ATELIER-HANDICAP", "Atelier managers : inclusion des personnes en situation de handicap",
     "in_person", False, "managers", dt.date(2023, 1, 1), None, None, 210),
)

FIELDS = ("title", "kind", "mandatory", "audience", "deployed_on", "renewal_months", "min_attendance_minutes",
          "expected_minutes")


def create_reference_modules(apps, schema_editor):
    Module = apps.get_model("training", "Module")
    HistoricalModule = apps.get_model("training", "HistoricalModule")
    for code, *values in REFERENCE_MODULES:
        module, created = Module.objects.get_or_create(
            code=code, defaults={**dict(zip(FIELDS, values, strict=True)), "is_reference": True}
        )
        if created:
            # Historical models of a migration do not record themselves: write the creation row.
            HistoricalModule.objects.create(
                id=module.pk, code=module.code, is_reference=True, description="",
                history_date=dt.datetime.now(dt.timezone.utc), history_type="+",
                history_change_reason="reference module (data migration)",
                **{name: getattr(module, name) for name in FIELDS},
            )


def keep_modules(apps, schema_editor):
    """Reversing leaves the modules: completions may already point at them."""


class Migration(migrations.Migration):
    dependencies = [("training", "0001_initial")]
    operations = [migrations.RunPython(create_reference_modules, keep_modules)]
