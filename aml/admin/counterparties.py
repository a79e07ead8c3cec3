"""Admin of the AML counterparties (filled by its slice)."""
