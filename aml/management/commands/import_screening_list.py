"""`python manage.py import_screening_list PATH [--list CODE] [--allow-mass-delisting] [--dry-run]`: see aml/importers/screening_list.py.

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

        parser.add_argument(
            "--allow-mass-delisting",
            action="store_true",
            help="accept a file that delists more than a tenth of a list's entries (refused otherwise: a file cut "
            "short would stop the screening against most of the list)",
        )

    def importer(self, options: dict[str, Any]) -> str | type[Importer]:
        code = (options.get("list_code") or "").strip()
        if not code and not options.get("allow_mass_delisting"):
            return self.kind
        importer = ScreeningListImporter.for_list(code) if code else ScreeningListImporter
        return importer.allowing_mass_delisting() if options.get("allow_mass_delisting") else importer
