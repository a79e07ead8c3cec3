"""Importers of the gdpr app: breaches."""
