"""API of the AML alerts (filled by its slice)."""

from typing import Any

ROUTES: list[tuple[str, Any, str]] = []
