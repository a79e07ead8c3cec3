"""Importers of the gdpr app: cnil."""
