"""API of the compliance app: riskmaps. ROUTES lists (prefix, viewset, basename) for compliance/api/urls.py."""
ROUTES: list = []
