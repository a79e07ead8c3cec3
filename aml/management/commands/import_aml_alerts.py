"""`python manage.py import_aml_alerts PATH [--dry-run] [--strict]` (docs/interfaces.md, "Imports")."""

from core.imports.command import ImportCommand


class Command(ImportCommand):
    kind = "aml_alerts"
