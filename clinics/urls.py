from django.urls import path

from . import views

app_name = "clinics"

# Included at the site root: routes carry their full prefix.
urlpatterns = [
    path("clinic/", views.dashboard, name="dashboard"),
    path("clinic/patients/<int:pk>/", views.patient_detail, name="patient_detail"),
    path("clinic/patients/<int:pk>/passphrase-link/", views.patient_passphrase_link, name="patient_passphrase_link"),
    path("clinic/assign/", views.assign, name="assign"),
    path("clinic/assignments/<int:pk>/due/", views.assignment_due, name="assignment_due"),
    path("clinic/assignments/<int:pk>/withdraw/", views.assignment_withdraw, name="assignment_withdraw"),
    path("clinic/invites/", views.invite_list, name="invite_list"),
    path("clinic/invites/<int:pk>/", views.invite_detail, name="invite_detail"),
    path("clinic/export.csv", views.export_csv, name="export_csv"),
    path("clinic/audit/", views.audit_log, name="audit_log"),
    path("clinic/staff/", views.staff, name="staff"),
    path("clinic/staff/<int:pk>/deactivate/", views.staff_deactivate, name="staff_deactivate"),
    path("clinic/staff/<int:pk>/reactivate/", views.staff_reactivate, name="staff_reactivate"),
    path("clinic/staff/<int:pk>/reset-sign-in/", views.staff_sign_in_reset, name="staff_sign_in_reset"),
    path("clinic/staff/<int:pk>/remove/", views.staff_remove, name="staff_remove"),
    path("join/<str:code>/", views.join, name="join"),
    path("me/sharing/", views.sharing, name="sharing"),
]
