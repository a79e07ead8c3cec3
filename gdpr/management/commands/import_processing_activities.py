"""`python manage.py import_processing_activities PATH [--dry-run] [--strict]`: see gdpr/importers/register.py."""

from core.imports.command import ImportCommand


class Command(ImportCommand):
    kind = "processing_activities"
