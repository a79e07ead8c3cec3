"""Admin of the whistleblowing reports (filled by its slice)."""
