from django.urls import path

from . import views

app_name = "reminders_api"

# Included at /api/v1/push/ (project/urls.py), outside the language prefixes.
urlpatterns = [
    path("", views.push_config, name="config"),
    path("subscriptions", views.subscriptions, name="subscriptions"),
]
