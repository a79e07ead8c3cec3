"""`python manage.py import_coi_cases PATH [--dry-run] [--strict]` (INTERFACES.md, "Imports")."""
from core.imports.command import ImportCommand


class Command(ImportCommand):
    kind = "coi_cases"
