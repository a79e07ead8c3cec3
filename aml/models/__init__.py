"""The AML/CFT records: counterparties, screening lists and their entries, hits, runs, vigilance alerts."""

from .alerts import Alert
from .counterparties import Counterparty, CounterpartyKey
from .screening import Hit, ListEntry, ScreeningList, ScreeningRun

__all__ = ["Alert", "Counterparty", "CounterpartyKey", "Hit", "ListEntry", "ScreeningList", "ScreeningRun"]
