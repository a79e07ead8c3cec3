"""Admin of the AML screening (filled by its slice)."""
