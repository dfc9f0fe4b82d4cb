"""What clinics answers when accounts asks about a person (accounts.signals):
their clinic data for the export, deleting it with the account, what the
clinic keeps afterwards, and the clinic section of /me/. Connected by
ClinicsConfig.ready()."""

from django.dispatch import receiver

from accounts import signals

from . import services
from .models import Patient


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
