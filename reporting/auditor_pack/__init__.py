"""The auditor pack of a fiscal year: what the independent third party needs to trace the DPEF figures
back to the records (docs/rules.md, "Indicators": it tests 20-40% of the data behind them).

One ZIP with the indicators export (XLSX and JSON), for every computed indicator the records behind
its value (`records/<CODE>.csv`) and a reproducible random sample of them (`sample/<CODE>.csv`), the
method of every indicator (`methods.md`), a README, and a manifest of SHA-256 checksums
(`manifest.sha256` for `sha256sum -c`, `manifest.json` for programs).

The records come from the year's frozen snapshot (`IndicatorValue.records`) when the year is frozen,
else from a computation now from the records (nothing is written), like the indicators export. Their columns are those the app of each model declares
(reporting/records.py): the fields an auditor needs to trace a record, and no more personal data than
that (no requester names, emails or addresses, no employee names: `employee_id` traces a person). A
model without declared columns is a programming error, raised as such.

Modules, in the order a pack is made: sources (the records behind each indicator, and who may have
them), rows and database (reading a model's records as CSV fields, cells formatting them), lines (an
indicator's records file), shared (what several indicators read once), sampling, texts (methods.md,
README.txt from readme.txt), zipfiles, and pack (all of it together).
"""

from ..records import COLUMNS
from .cells import cell
from .lines import RecordRows, iter_rows
from .pack import build_pack, pack_filename, record_extras, write_pack
from .rows import UnknownRecordModel
from .sampling import draw_sample, resolve_sample_rate, resolve_seed, sample_size
from .sources import record_sources

__all__ = [
    "COLUMNS",
    "RecordRows",
    "UnknownRecordModel",
    "build_pack",
    "cell",
    "draw_sample",
    "iter_rows",
    "pack_filename",
    "record_extras",
    "record_sources",
    "resolve_sample_rate",
    "resolve_seed",
    "sample_size",
    "write_pack",
]
