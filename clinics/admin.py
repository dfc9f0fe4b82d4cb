from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_noop

from accounts.models import User

from . import services
from .models import Assignment, AuditEvent, Clinic, Invite, LessonProgress, Membership, Patient


def _audit_reads(request, patients, detail: str) -> None:
    """`detail` is stored in English and shown in the reader's language
    (AuditEvent.detail_text), so each is marked for translation here."""
    services.patients_viewed_record(actor=request.user, patients=patients, detail=detail)


def _confirming_a_deletion(request) -> bool:
    """The delete confirmation is shown (and lists what would go, craving
    times included), not the deletion confirmed."""
    if request.method in ("GET", "HEAD"):
        return True
    return request.POST.get("action") == "delete_selected" and not request.POST.get("post")


class AuditedPatientAdmin(admin.ModelAdmin):
    """Every read of a patient's data in the admin is a view of that patient,
    audited like a clinician's, in the patient's clinic's log: a change
    page, a list (one row per patient shown), a delete confirmation (it lists
    what would be deleted) and the history page."""

    def audited_patient(self, obj) -> Patient | None:
        return obj.patient

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method in ("GET", "HEAD"):
            obj = self.get_object(request, unquote(object_id))
            if obj is not None and self.has_view_or_change_permission(request, obj):
                _audit_reads(request, [self.audited_patient(obj)], gettext_noop("In the Django admin: change page"))
        return super().change_view(request, object_id, form_url, extra_context)

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl")
        if changelist is not None and request.method in ("GET", "HEAD"):
            patients = [self.audited_patient(obj) for obj in changelist.result_list]
            _audit_reads(request, patients, gettext_noop("In the Django admin: list"))
        return response

    def get_deleted_objects(self, objs, request):
        if _confirming_a_deletion(request):
            patients = [self.audited_patient(obj) for obj in objs]
            _audit_reads(request, patients, gettext_noop("In the Django admin: delete confirmation"))
        return super().get_deleted_objects(objs, request)

    def history_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        if obj is not None and self.has_view_or_change_permission(request, obj):
            _audit_reads(request, [self.audited_patient(obj)], gettext_noop("In the Django admin: history"))
        return super().history_view(request, object_id, extra_context)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Clinic)
class ClinicAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "time_zone", "created_at"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name"]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "clinic", "role"]
    list_filter = ["clinic", "role"]
    list_select_related = ["user", "clinic"]
    autocomplete_fields = ["user"]


@admin.register(Patient)
class PatientAdmin(AuditedPatientAdmin):
    list_display = ["label", "clinic", "user", "created_at"]
    list_filter = ["clinic"]
    list_select_related = ["user", "clinic"]
    search_fields = ["label", "user__username"]
    autocomplete_fields = ["user"]

    def audited_patient(self, obj: Patient) -> Patient:
        return obj


@admin.register(Invite)
class InviteAdmin(admin.ModelAdmin):
    """No code anywhere: an invite's code lets whoever reads it make an
    account in the clinic. The clinic's own invite page shows the link."""

    list_display = ["label", "clinic", "created_at", "expires_at", "used_at"]
    list_filter = ["clinic"]
    list_select_related = ["clinic"]
    exclude = ["code"]
    readonly_fields = ["used_at", "patient"]


@admin.register(Assignment)
class AssignmentAdmin(AuditedPatientAdmin):
    list_display = ["patient", "lesson", "due_date", "withdrawn_at"]
    list_filter = ["patient__clinic", "lesson"]
    list_select_related = ["patient", "lesson"]
    raw_id_fields = ["patient", "assigned_by"]


@admin.register(LessonProgress)
class LessonProgressAdmin(AuditedPatientAdmin):
    list_display = ["patient", "lesson", "completed_at", "score", "total"]
    list_select_related = ["patient", "lesson"]
    raw_id_fields = ["patient"]


admin.site.unregister(User)


@admin.register(User)
class AuditedUserAdmin(AuditedPatientAdmin, UserAdmin):
    """Django's user admin; a patient's account deleted here shows what would
    go (their progress, craving summaries) first, and that is audited. The
    list and the user page show usernames, no patient data."""

    def audited_patient(self, obj: User) -> Patient | None:
        return getattr(obj, "patient", None)

    def changelist_view(self, request, extra_context=None):
        return UserAdmin.changelist_view(self, request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        return UserAdmin.change_view(self, request, object_id, form_url, extra_context)


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the audit log is append-only, for staff too."""

    list_display = ["created_at", "clinic", "actor_username", "action", "patient_id", "detail"]
    list_filter = ["clinic", "action"]
    list_select_related = ["clinic"]
    search_fields = ["actor_username"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
