from django.urls import path

from . import views

app_name = "craving"

urlpatterns = [
    path("craving/", views.toolkit, name="toolkit"),
    path("help/", views.help_now, name="help"),
    path("craving/safety-plan/", views.safety_plan, name="safety_plan"),
]
