"""API of the AML counterparties (filled by its slice)."""

from typing import Any

ROUTES: list[tuple[str, Any, str]] = []
