"""What clinics answers when accounts asks about a person (accounts.signals):
their clinic data for the export, deleting it with the account, what the
clinic keeps afterwards, and the clinic section of /me/. And the patients'
stored progress, recounted after every write it mirrors. Connected by
ClinicsConfig.ready()."""

from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from accounts import signals
from accounts.services import account_public_id

from . import services
from .models import Assignment, LessonProgress, Patient


@receiver(signals.account_export, dispatch_uid="clinics.account_export")
def account_export(sender, *, user, **kwargs) -> dict:
    return {**services.patient_data_export(user=user), **services.staff_data_export(user=user)}


@receiver(signals.account_delete_refusal, dispatch_uid="clinics.account_delete_refusal")
def account_delete_refusal(sender, *, user, **kwargs) -> str | None:
    return services.staff_delete_refusal(user=user)


@receiver(signals.account_delete, dispatch_uid="clinics.account_delete")
def account_delete(sender, *, user, **kwargs) -> None:
    services.patient_data_delete(user=user)
    services.staff_data_delete(user=user)


@receiver(signals.account_kept_after_deletion, dispatch_uid="clinics.account_kept_after_deletion")
def account_kept_after_deletion(sender, *, user, **kwargs) -> list[dict]:
    return services.kept_after_deletion(user=user)


@receiver(signals.my_data_section, dispatch_uid="clinics.my_data_section")
def my_data_section(sender, *, user, request=None, **kwargs) -> dict | None:
    patient = Patient.objects.select_related("clinic").filter(user=user).first() if user.is_authenticated else None
    if patient is None:
        return None
    sharing = services.sharing_of(patient)
    return {
        "template": "clinics/_my_data.html",
        # `phone`: the same choices for the phone's outbox, which follows them
        # from this page on (static/js/sync.js).
        "context": {
            "patient": patient,
            "sharing": sharing,
            "phone": {"account": account_public_id(user), "sharing": sharing},
        },
    }


# Stored progress (Patient.assigned_count, done_count, earliest_due_not_done)
# mirrors other rows, so it follows every write of them here, whoever writes
# (a service, the admin, a shell, a data migration, a cascade such as a lesson
# deleted): a save or delete of an assignment or of lesson progress, and a
# save of a patient's sharing choice. bulk_create, QuerySet.update and raw SQL
# send no signals; they recount themselves (docs/clinics.md). A fixture being
# loaded (raw) is left alone, as Django asks: its patients come with the
# stored progress they were dumped with.
@receiver(pre_save, sender=Assignment, dispatch_uid="clinics.assignment_pre_save")
@receiver(pre_save, sender=LessonProgress, dispatch_uid="clinics.lesson_progress_pre_save")
def progress_row_pre_save(sender, *, instance, raw, update_fields, **kwargs) -> None:
    # A row moved to another patient (the admin allows it): the one it left is recounted too.
    if not raw and instance.pk is not None and (update_fields is None or "patient" in update_fields):
        instance._patient_before = sender.objects.filter(pk=instance.pk).values_list("patient_id", flat=True).first()


@receiver(post_save, sender=Assignment, dispatch_uid="clinics.assignment_post_save")
@receiver(post_save, sender=LessonProgress, dispatch_uid="clinics.lesson_progress_post_save")
def progress_row_post_save(sender, *, instance, raw, **kwargs) -> None:
    if raw:
        return
    patient_ids = {instance.patient_id, instance.__dict__.pop("_patient_before", None)} - {None}
    Patient.objects.filter(pk__in=patient_ids).refresh_progress()


@receiver(post_delete, sender=Assignment, dispatch_uid="clinics.assignment_post_delete")
@receiver(post_delete, sender=LessonProgress, dispatch_uid="clinics.lesson_progress_post_delete")
def progress_row_post_delete(sender, *, instance, **kwargs) -> None:
    Patient.objects.filter(pk=instance.patient_id).refresh_progress()


@receiver(post_save, sender=Patient, dispatch_uid="clinics.patient_post_save")
def patient_post_save(sender, *, instance, created, raw, update_fields, **kwargs) -> None:
    # Not shared, nothing is done or overdue as far as the clinic knows. And a
    # full save writes back the stored progress the instance was read with.
    # (A new patient has nothing assigned: the defaults are its count.)
    if not raw and not created and (update_fields is None or "shares_progress" in update_fields):
        Patient.objects.filter(pk=instance.pk).refresh_progress()
