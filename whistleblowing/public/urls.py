"""Routes of the public channel (filled by its slice)."""

from django.urls import URLPattern

app_name = "whistleblowing_public"
urlpatterns: list[URLPattern] = []
