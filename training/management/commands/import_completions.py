"""`python manage.py import_completions PATH [--dry-run] [--strict]` (INTERFACES.md, "Imports")."""
from core.imports.command import ImportCommand


class Command(ImportCommand):
    kind = "completions"
