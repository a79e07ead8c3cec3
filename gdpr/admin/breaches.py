"""Admin of the gdpr app: breaches."""
