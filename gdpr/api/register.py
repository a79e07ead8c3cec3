"""API of the gdpr app: register. ROUTES lists (prefix, viewset, basename) for gdpr/api/urls.py."""
ROUTES: list = []
