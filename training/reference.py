"""The reference training modules of docs/interfaces.md, which exist in every installation.

Created by the data migration 0002_reference_modules (and again by `ensure_reference_modules` where a
database was emptied, as `manage.py flush` does, e.g. before `load_demo`). Changing this list needs a
new data migration for the installations that already exist.
"""

import datetime as dt

REFERENCE_MODULES = (
    # code, title, kind, mandatory, audience, deployed_on, renewal_months, min_attendance_minutes, expected_minutes
    (
        "LCBFT",
        "Lutte contre le blanchiment des capitaux et le financement du terrorisme (LCB-FT)",
        "e_learning",
        True,
        "all_staff",
        dt.date(2022, 11, 22),
        None,
        None,
        60,
    ),
    (
        "DEONTO",
        "Déontologie et prévention des conflits d'intérêts",
        "e_learning",
        True,
        "all_staff",
        dt.date(2022, 4, 11),
        None,
        None,
        45,
    ),
    (
        "RGPD",
        "Protection des données personnelles (RGPD)",
        "e_learning",
        True,
        "all_staff",
        dt.date(2022, 4, 11),
        24,
        None,
        45,
    ),
    ("CYBER", "Cybersécurité", "e_learning", True, "all_staff", dt.date(2022, 4, 11), 24, None, 45),
    (
        "HANDICAP",
        "Favoriser l'inclusion des personnes en situation de handicap",
        "e_learning",
        True,
        "all_staff",
        dt.date(2022, 11, 22),
        None,
        None,
        30,
    ),
    ("RSE", "La démarche RSE d'Action Logement", "e_learning", True, "all_staff", dt.date(2023, 6, 1), None, None, 30),
    (
        "ATELIER-DEONTO",
        "Atelier conflits d'intérêts et corruption (formation interactive)",
        "in_person",
        False,
        "all_staff",
        dt.date(2023, 1, 1),
        None,
        45,
        90,
    ),
    (
        "ATELIER-FRAUDE",
        "Atelier lutte contre la fraude documentaire et les tentatives d'escroquerie",
        "in_person",
        False,
        "all_staff",
        dt.date(2023, 1, 1),
        None,
        None,
        120,
    ),
    (
        "ATELIER-HANDICAP",
        "Atelier managers : inclusion des personnes en situation de handicap",
        "in_person",
        False,
        "managers",
        dt.date(2023, 1, 1),
        None,
        None,
        210,
    ),
)

#: The reference modules that are anti-corruption training (ESRS G1-3): the ethics e-learning and workshop.
ANTI_CORRUPTION = ("DEONTO", "ATELIER-DEONTO")

REASON = "reference module (data migration)"
FIELDS = (
    "title",
    "kind",
    "mandatory",
    "audience",
    "deployed_on",
    "renewal_months",
    "min_attendance_minutes",
    "expected_minutes",
)


def create_reference_modules(Module, HistoricalModule=None) -> int:
    """Create the missing reference modules with their creation history row; returns how many.

    In the migration, `Module` and `HistoricalModule` are the migration's models, which do not record
    history by themselves: the row is written here. Without `HistoricalModule` (the app's own model),
    simple-history records the creation.
    """
    existing = set(Module.objects.values_list("code", flat=True))
    created = 0
    for code, *values in REFERENCE_MODULES:
        if code in existing:
            continue
        module = Module(code=code, is_reference=True, **dict(zip(FIELDS, values, strict=True)))
        if any(field.name == "anti_corruption" for field in Module._meta.fields):  # not in migration 0002
            module.anti_corruption = code in ANTI_CORRUPTION
        module._change_reason = REASON
        module.save()
        if HistoricalModule is not None:
            HistoricalModule.objects.create(
                id=module.pk,
                code=module.code,
                is_reference=True,
                description="",
                history_date=dt.datetime.now(dt.UTC),
                history_type="+",
                history_change_reason=REASON,
                **{name: getattr(module, name) for name in FIELDS},
                **({"anti_corruption": module.anti_corruption} if hasattr(module, "anti_corruption") else {}),
            )
        created += 1
    return created


def ensure_reference_modules() -> int:
    from .models import Module

    return create_reference_modules(Module)
