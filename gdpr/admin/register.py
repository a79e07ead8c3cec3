"""Admin of the gdpr app: register."""
