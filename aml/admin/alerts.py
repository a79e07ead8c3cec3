"""Admin of the AML alerts (filled by its slice)."""
