"""Shared infrastructure: the import machinery, roles, the system user, API plumbing, health."""
