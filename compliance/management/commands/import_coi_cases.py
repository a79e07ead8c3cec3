"""`python manage.py import_coi_cases PATH [--dry-run] [--strict]` (docs/interfaces.md, "Imports")."""

from core.imports.command import ImportCommand


class Command(ImportCommand):
    kind = "coi_cases"
