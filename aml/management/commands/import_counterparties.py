"""`python manage.py import_counterparties PATH [--dry-run] [--strict]`: see aml/importers/counterparties.py."""

from core.imports.command import ImportCommand


class Command(ImportCommand):
    kind = "counterparties"
