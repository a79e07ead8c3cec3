"""Admin of the whistleblowing app. The report's public part for every reader; its sealed part (content,
messages, attachments, links) for the referents only (core/admin_seal.py)."""

from . import reports  # noqa: F401 - registers the ModelAdmins
