"""What clinics answers when accounts asks about a person (accounts.signals):
their clinic data for the export, deleting it with the account, what the
clinic keeps afterwards, and the clinic section of /me/. And the stored
progress of patients whose assigned lesson is deleted. Connected by
ClinicsConfig.ready()."""

from django.db.models.signals import post_delete, post_init, post_save, pre_delete
from django.dispatch import receiver

from accounts import signals
from lessons.models import Lesson

from . import services
from .models import Assignment, Clinic, Patient


@receiver(signals.account_export, dispatch_uid="clinics.account_export")
def account_export(sender, *, user, **kwargs) -> dict:
    return services.patient_data_export(user=user)


@receiver(signals.account_delete, dispatch_uid="clinics.account_delete")
def account_delete(sender, *, user, **kwargs) -> None:
    services.patient_data_delete(user=user)


@receiver(signals.account_kept_after_deletion, dispatch_uid="clinics.account_kept_after_deletion")
def account_kept_after_deletion(sender, *, user, **kwargs) -> list[dict]:
    return services.patient_kept_after_deletion(user=user)


@receiver(signals.my_data_section, dispatch_uid="clinics.my_data_section")
def my_data_section(sender, *, user, request=None, **kwargs) -> dict | None:
    patient = Patient.objects.select_related("clinic").filter(user=user).first() if user.is_authenticated else None
    if patient is None:
        return None
    return {
        "template": "clinics/_my_data.html",
        "context": {"patient": patient, "sharing": services.sharing_of(patient)},
    }


# A lesson deleted (in the admin) takes its assignments and completions with
# it in Django's cascade, which no service sees: note whose they were before,
# recount them after (Django sends every pre_delete, deletes, then post_delete).
@receiver(pre_delete, sender=Lesson, dispatch_uid="clinics.lesson_pre_delete")
def lesson_pre_delete(sender, *, instance, **kwargs) -> None:
    assigned = Assignment.objects.filter(lesson=instance).values_list("patient_id", flat=True)
    instance._assigned_patient_ids = set(assigned)


@receiver(post_delete, sender=Lesson, dispatch_uid="clinics.lesson_post_delete")
def lesson_post_delete(sender, *, instance, **kwargs) -> None:
    Patient.objects.filter(pk__in=getattr(instance, "_assigned_patient_ids", ())).refresh_progress()


# The clinic's roster version (Clinic.roster_version): a patient joining,
# leaving, moving to another clinic or relabelled changes the clinic's list of
# patients, in whatever way (a service, the Django admin, a cascade). Saves
# of other fields (sharing choices, stored progress) leave it as it is.
def _roster_place(patient: Patient) -> tuple:
    # From __dict__: a field left out of the query (.only()) is not fetched for this.
    return patient.__dict__.get("clinic_id"), patient.__dict__.get("label")


@receiver(post_init, sender=Patient, dispatch_uid="clinics.patient_post_init")
def patient_post_init(sender, *, instance, **kwargs) -> None:
    instance._roster_place = _roster_place(instance)


@receiver(post_save, sender=Patient, dispatch_uid="clinics.patient_post_save")
def patient_post_save(sender, *, instance, created, **kwargs) -> None:
    before, now = instance._roster_place, _roster_place(instance)
    if created or any(old != new for old, new in zip(before, now, strict=True) if new is not None):
        Clinic.roster_changed(*{before[0], now[0]} - {None})
    instance._roster_place = now


@receiver(post_delete, sender=Patient, dispatch_uid="clinics.patient_post_delete")
def patient_post_delete(sender, *, instance, **kwargs) -> None:
    Clinic.roster_changed(instance.clinic_id)
