"""`python manage.py import_rights_requests PATH [--dry-run] [--strict]`: see gdpr/importers/rights.py."""

from core.imports.command import ImportCommand


class Command(ImportCommand):
    kind = "rights_requests"
