"""Core models: the import run record lives here (see core/imports/)."""
