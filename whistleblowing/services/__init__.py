"""Services of the whistleblowing app: every write to a report goes through them (history, clock, ledger)."""
