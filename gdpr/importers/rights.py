"""Importers of the gdpr app: rights."""
