"""Admin of the training app, one module per record type."""

from . import completions, modules, phishing, sessions  # noqa: F401 - registers the ModelAdmins
