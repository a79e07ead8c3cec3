"""API of the compliance app: cases. ROUTES lists (prefix, viewset, basename) for compliance/api/urls.py."""
ROUTES: list = []
