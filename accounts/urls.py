from django.urls import path

from . import views

app_name = "accounts"

# Included at the site root: routes carry their full prefix.
urlpatterns = [
    path("accounts/login/", views.login_view, name="login"),
    path("accounts/logout/", views.logout_view, name="logout"),
    path("accounts/password/", views.password_change, name="password_change"),
    path("accounts/password/done/", views.password_change_done, name="password_change_done"),
    path("accounts/set-password/<uidb64>/<token>/", views.set_password, name="set_password"),
    path("accounts/set-password/done/", views.set_password_done, name="set_password_done"),
    path("accounts/deleted/", views.deleted, name="deleted"),
    path("accounts/two-factor/", views.two_factor, name="two_factor"),
    path("accounts/two-factor/setup/", views.two_factor_setup, name="two_factor_setup"),
    path("accounts/two-factor/recovery-codes/", views.two_factor_recovery_codes, name="two_factor_recovery_codes"),
    path("me/", views.me, name="me"),
    path("me/export.json", views.me_export, name="me_export"),
    path("me/sign-out-everywhere/", views.me_sign_out_everywhere, name="me_sign_out_everywhere"),
    path("me/delete/", views.me_delete, name="me_delete"),
]
