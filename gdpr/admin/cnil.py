"""Admin of the gdpr app: cnil."""
