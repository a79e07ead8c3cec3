"""Services of the gdpr app: rights (filled by its issue work)."""
