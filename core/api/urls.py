"""API routes of the core app (import uploads are added by the import machinery)."""
urlpatterns: list = []
