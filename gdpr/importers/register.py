"""Importers of the gdpr app: register."""
