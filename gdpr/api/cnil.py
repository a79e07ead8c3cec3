"""API of the gdpr app: cnil. ROUTES lists (prefix, viewset, basename) for gdpr/api/urls.py."""
ROUTES: list = []
