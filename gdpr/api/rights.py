"""API of the gdpr app: rights. ROUTES lists (prefix, viewset, basename) for gdpr/api/urls.py."""
ROUTES: list = []
