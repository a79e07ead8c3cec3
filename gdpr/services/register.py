"""Services of the gdpr app: register (filled by its issue work)."""
