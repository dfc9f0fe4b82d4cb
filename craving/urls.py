from django.urls import path

from . import views

app_name = "craving"

urlpatterns = [
    path("craving/", views.toolkit, name="toolkit"),
    path("help/", views.help_now, name="help"),
]
