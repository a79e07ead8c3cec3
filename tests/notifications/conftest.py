"""Fixtures of the alert tests: a real SMTP server (tests/notifications/smtp.py)."""

from tests.notifications.smtp import smtp_server  # noqa: F401 - a fixture, for every test of this folder
