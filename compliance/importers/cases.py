"""Importers of the compliance app: cases."""
