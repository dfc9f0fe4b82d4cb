from django.urls import path

from . import api

app_name = "phone"

# Included at /api/v1/ outside i18n_patterns: one address in every language
# (the phone says which language it wants with ?lang=, clinics/phone/api.py).
urlpatterns = [
    path("me/assignments/", api.me, name="api_assignments"),
    path("sync", api.sync_batch, name="api_sync"),
]
