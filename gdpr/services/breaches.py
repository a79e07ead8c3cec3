"""Services of the gdpr app: breaches (filled by its issue work)."""
