"""API of the whistleblowing reports (filled by its slice)."""

from typing import Any

ROUTES: list[tuple[str, Any, str]] = []
