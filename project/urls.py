from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from pwa.views import manifest

from offline import views as offline_views

from . import views

# Not translated: one address whatever the language.
urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    # Our own service worker; one worker, scope /, for every language.
    path("serviceworker.js", offline_views.service_worker, name="serviceworker"),
    path("language/<str:code>/", views.language_set, name="language_set"),
    # The phone's API: outside i18n_patterns, so /es/api/… is no route at all.
    path("api/v1/", include("clinics.phone.urls")),
    # Reminders by Web Push: the phone's subscription (reminders/views.py).
    path("api/v1/push/", include("reminders.urls")),
    # The admin's own password change checks the old password with no
    # throttle and no audit line: Crest's page (accounts) has both.
    path("admin/password_change/", RedirectView.as_view(pattern_name="accounts:password_change")),
    path("admin/", admin.site.urls),
]

# Every page: English at the plain URL, Spanish under /es/. The language is
# in the path, so the service worker caches each language apart, and a page
# cached on a phone is always in the language its address says.
urlpatterns += i18n_patterns(
    path("", views.home, name="home"),
    path("offline/", offline_views.offline_page, name="offline"),
    # django-pwa's manifest, rendered in the page's language (settings.PWA_APP_*).
    path("manifest.json", manifest, name="manifest"),
    # The strings static/js needs, as a script the pages load before their
    # modules (no inline script: the CSP forbids it).
    path("jsi18n.js", views.js_catalog, name="js_catalog"),
    path("lessons/", include("lessons.urls")),
    path("", include("craving.urls")),
    path("", include("clinics.urls")),
    path("", include("accounts.urls")),
    path("", include("reminders.page_urls")),
    prefix_default_language=False,
)

# A database out of reach answers 503 (retry), other failures 500.
handler500 = "project.views.server_error"
