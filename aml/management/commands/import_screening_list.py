"""`python manage.py import_screening_list PATH [--list CODE] [--dry-run]`: see aml/importers/screening_list.py.

Always all or nothing: a rejected row rolls the whole file back and the lists stay as they were."""

from typing import Any

from django.core.management.base import CommandParser

from aml.importers.screening_list import ScreeningListImporter
from core.imports.command import ImportCommand
from core.imports.engine import Importer


class Command(ImportCommand):
    kind = "screening_list"

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--list",
            dest="list_code",
            metavar="CODE",
            help="the code of the list every row belongs to (e.g. FR-GELS, EU, UN), for a file without a list "
            "column or an OpenSanctions export (whose dataset column holds the source's title)",
        )

    def importer(self, options: dict[str, Any]) -> str | type[Importer]:
        code = (options.get("list_code") or "").strip()
        return ScreeningListImporter.for_list(code) if code else self.kind
