from django.urls import path

from . import views

app_name = "reminders"

# Included inside i18n_patterns: /reminders/ and /es/reminders/.
urlpatterns = [
    path("reminders/", views.settings_page, name="settings"),
    path("check-in/", views.checkin, name="checkin"),
]
