from django.contrib import admin
from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    # Our own service worker, registered before pwa.urls so it wins over
    # django-pwa's empty one; django-pwa still serves /manifest.json.
    path("serviceworker.js", views.service_worker, name="serviceworker"),
    path("offline/", views.offline, name="offline"),
    path("", include("pwa.urls")),
    path("lessons/", include("lessons.urls")),
    path("", include("craving.urls")),
    path("", include("clinics.urls")),
    path("", include("accounts.urls")),
    path("admin/", admin.site.urls),
]

# A database out of reach answers 503 (retry), other failures 500.
handler500 = "project.views.server_error"
