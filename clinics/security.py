"""Accounts' security events (accounts.signals.security_event) into the
clinic's audit trail (clinics.services.security_event_record), and what a
clinic admin is told when they sign in. Connected by ClinicsConfig.ready()."""

from django.contrib import messages
from django.dispatch import receiver
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext

from accounts import signals

from . import services
from .models import AuditEvent


@receiver(signals.security_event, dispatch_uid="clinics.security_event")
def security_event(sender, *, user, event, detail: str = "", by=None, **kwargs) -> None:
    services.security_event_record(user=user, event=event, detail=detail, by=by)


@receiver(signals.signed_in_fully, dispatch_uid="clinics.signed_in_fully")
def tell_admins(sender, *, user, request, **kwargs) -> None:
    """A clinic admin who signs in is told how the clinic's staff sign-in
    changed since their last time: apps connected, sign-ins reset."""
    membership = getattr(user, "membership", None)
    if membership is None or not membership.is_admin:
        return
    for event in services.staff_sign_in_changes_since_last_sign_in(admin=user, clinic=membership.clinic):
        when = date_format(timezone.localtime(event.created_at, membership.clinic.zone), "j F Y")
        if event.action == AuditEvent.Action.SECOND_FACTOR_ADDED:
            text = gettext("%(who)s connected an authenticator app on %(date)s.")
            messages.info(request, text % {"who": event.actor_username, "date": when})
        else:
            text = gettext("%(by)s reset the sign-in of %(who)s on %(date)s.")
            messages.info(request, text % {"by": event.actor_username or "—", "who": event.detail, "date": when})
