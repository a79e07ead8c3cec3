"""API of the gdpr app: breaches. ROUTES lists (prefix, viewset, basename) for gdpr/api/urls.py."""
ROUTES: list = []
