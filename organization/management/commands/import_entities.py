"""`python manage.py import_entities PATH [--dry-run] [--strict]`: see organization/importers.py."""

from core.imports.command import ImportCommand


class Command(ImportCommand):
    kind = "entities"
