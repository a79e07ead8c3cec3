"""Routes of the public channel, under /signalement/ (config/urls.py): no login, no secret in any URL."""

from django.urls import URLPattern, path

from . import views

app_name = "whistleblowing_public"
urlpatterns: list[URLPattern] = [
    path("", views.home, name="home"),
    path("langue/", views.language, name="language"),
    path("nouveau/", views.submit, name="submit"),
    path("suivi/", views.follow_up, name="follow_up"),
    path("suivi/message/", views.follow_up_message, name="follow_up_message"),
    path("suivi/rencontre/", views.follow_up_meeting, name="follow_up_meeting"),
    path("suivi/quitter/", views.follow_up_leave, name="follow_up_leave"),
    path("suivi/document/<int:pk>/", views.follow_up_file, name="follow_up_file"),
]
