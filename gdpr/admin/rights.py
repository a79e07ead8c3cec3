"""Admin of the gdpr app: rights."""
