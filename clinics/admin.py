from django.contrib import admin

from .models import Assignment, AuditEvent, Clinic, Invite, LessonProgress, Membership, Patient


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
class PatientAdmin(admin.ModelAdmin):
    list_display = ["label", "clinic", "user", "created_at"]
    list_filter = ["clinic"]
    list_select_related = ["user", "clinic"]
    search_fields = ["label", "user__username"]
    autocomplete_fields = ["user"]


@admin.register(Invite)
class InviteAdmin(admin.ModelAdmin):
    list_display = ["label", "clinic", "created_at", "expires_at", "used_at"]
    list_filter = ["clinic"]
    list_select_related = ["clinic"]
    readonly_fields = ["code", "used_at", "patient"]


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    list_display = ["patient", "lesson", "due_date", "withdrawn_at"]
    list_filter = ["patient__clinic", "lesson"]
    list_select_related = ["patient", "lesson"]
    raw_id_fields = ["patient", "assigned_by"]


@admin.register(LessonProgress)
class LessonProgressAdmin(admin.ModelAdmin):
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
