"""API of the whistleblowing reports."""
