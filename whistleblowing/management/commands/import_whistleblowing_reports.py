"""`python manage.py import_whistleblowing_reports PATH [--dry-run] [--strict]` (docs/interfaces.md, "Imports")."""

from core.imports.command import ImportCommand


class Command(ImportCommand):
    kind = "whistleblowing_reports"
