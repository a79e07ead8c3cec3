"""API of the AML screening (filled by its slice)."""

from typing import Any

ROUTES: list[tuple[str, Any, str]] = []
