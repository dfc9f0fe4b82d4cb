from django.contrib import admin
from django.contrib.admin.utils import unquote

from . import services
from .models import Assignment, AuditEvent, Clinic, Invite, LessonProgress, Membership, Patient


class AuditedPatientAdmin(admin.ModelAdmin):
    """Reading one patient's data in the admin is a view of that patient:
    audited like a clinician's, in the patient's clinic's log."""

    def audited_patient(self, obj) -> Patient:
        return obj.patient

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method in ("GET", "HEAD"):
            obj = self.get_object(request, unquote(object_id))
            if obj is not None and self.has_view_or_change_permission(request, obj):
                patient = self.audited_patient(obj)
                services.audit_record(
                    actor=request.user, clinic=patient.clinic, action=AuditEvent.Action.PATIENT_VIEWED,
                    patient=patient, detail="In the Django admin",
                )
        return super().change_view(request, object_id, form_url, extra_context)


class RecountsProgressAdmin(AuditedPatientAdmin):
    """Assignments and lesson progress edited in the admin: the patients'
    stored progress (PatientQuerySet.refresh_progress) is recounted, the old
    patient's too when a row moves to another."""

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        Patient.objects.filter(pk__in={obj.patient_id, form.initial.get("patient")} - {None}).refresh_progress()

    def delete_model(self, request, obj) -> None:
        super().delete_model(request, obj)
        Patient.objects.filter(pk=obj.patient_id).refresh_progress()

    def delete_queryset(self, request, queryset) -> None:
        patient_ids = set(queryset.values_list("patient_id", flat=True))
        super().delete_queryset(request, queryset)
        Patient.objects.filter(pk__in=patient_ids).refresh_progress()


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
    list_display = ["label", "clinic", "created_at", "expires_at", "used_at"]
    list_filter = ["clinic"]
    list_select_related = ["clinic"]
    readonly_fields = ["code", "used_at", "patient"]


@admin.register(Assignment)
class AssignmentAdmin(RecountsProgressAdmin):
    list_display = ["patient", "lesson", "due_date", "withdrawn_at"]
    list_filter = ["patient__clinic", "lesson"]
    list_select_related = ["patient", "lesson"]
    raw_id_fields = ["patient", "assigned_by"]


@admin.register(LessonProgress)
class LessonProgressAdmin(RecountsProgressAdmin):
    list_display = ["patient", "lesson", "completed_at", "score", "total"]
    list_select_related = ["patient", "lesson"]
    raw_id_fields = ["patient"]


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the audit log is append-only, for staff too."""

    list_display = ["created_at", "clinic", "actor_username", "action", "patient_label", "detail"]
    list_filter = ["clinic", "action"]
    list_select_related = ["clinic"]
    search_fields = ["actor_username", "patient_label"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
