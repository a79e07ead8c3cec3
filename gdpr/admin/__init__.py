"""Admin of the gdpr app, one module per record type."""

from . import breaches, cnil, register, rights  # noqa: F401 - registers the ModelAdmins
