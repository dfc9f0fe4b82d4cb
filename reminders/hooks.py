"""Every way out of reminders that is not a tap on "Reminders" removes the
subscription on the server at once: signing out (on this phone, or
everywhere), every session ended by someone else (a deactivation, a sign-in
reset), deleting the account. Connected by RemindersConfig.ready().
(Turning reminders off, "remove Crest's data from this phone" and a push
service's 404/410 are in views.py, static/js/push.js and services.py.)"""

from django.contrib.auth.signals import user_logged_out
from django.dispatch import receiver

from accounts import signals

from . import services


@receiver(user_logged_out, dispatch_uid="reminders.signed_out")
def signed_out(sender, *, request, user, **kwargs) -> None:
    # The server cannot tell one of the account's phones from another once
    # the session is gone, so signing out turns reminders off on all of
    # them: better a reminder fewer than one on a phone that someone else
    # now uses. The phone itself forgets its subscription (reminders-keep.js).
    if user is not None:
        services.subscriptions_delete_for(user=user)


@receiver(signals.sessions_ended, dispatch_uid="reminders.sessions_ended")
def sessions_ended(sender, *, user, **kwargs) -> None:
    # Signed out everywhere, deactivated, or a sign-in reset: no phone of
    # theirs is known to be theirs any more, whoever holds it now.
    services.subscriptions_delete_for(user=user)


@receiver(signals.account_delete, dispatch_uid="reminders.account_delete")
def account_delete(sender, *, user, **kwargs) -> None:
    services.subscriptions_delete_for(user=user)


@receiver(signals.account_export, dispatch_uid="reminders.account_export")
def account_export(sender, *, user, **kwargs) -> dict:
    return {"reminders": services.subscriptions_export(user=user)}
