"""Services of the gdpr app: cnil (filled by its issue work)."""
