"""Public URLs of the notifications: the "acknowledge" link of the emails."""

from django.urls import path

from . import views

app_name = "notifications"

urlpatterns = [
    path("ack/<str:token>/", views.ack, name="ack"),
]
