"""Admin of the compliance app, one module per record type."""

from . import cases, corruption, riskmaps  # noqa: F401 - registers the ModelAdmins
