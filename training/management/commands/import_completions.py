"""`python manage.py import_completions PATH [--dry-run] [--strict]` (docs/interfaces.md, "Imports")."""

from core.imports.command import ImportCommand


class Command(ImportCommand):
    kind = "completions"
