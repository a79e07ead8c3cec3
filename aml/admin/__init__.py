"""Admin of the AML/CFT app, one module per record type. Sealed (aml/apps.py): 404 for anyone outside the role."""

from . import alerts, counterparties, screening  # noqa: F401 - registers the ModelAdmins
