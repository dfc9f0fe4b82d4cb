"""How `accounts` asks the apps above it about a person's data without
importing them (imports flow one way: accounts <- clinics <- project).

An app that holds data about a person connects receivers in its
AppConfig.ready(); accounts sends these and knows nothing of who answers.
Receivers are called with `user=` (and `request=` for the page)."""

from django.db import models
from django.dispatch import Signal
from django.utils.translation import gettext_lazy as _

# Return a dict merged into the person's "my data" export. (What is kept
# after deletion goes into it from account_kept_after_deletion below.)
account_export = Signal()

# Delete, or strip the person from, what the app holds. Sent inside the
# deleting transaction, before the user row goes: an exception rolls the
# whole deletion back.
account_delete = Signal()

# Return None, or a sentence (in the person's language) saying why the
# account cannot be deleted yet and what to do first. Asked by the page
# before anything changes, and again by services.account_delete inside its
# transaction, where a refusal rolls the deletion back.
account_delete_refusal = Signal()

# Return a list of {"what", "why"}: what the app keeps after the account is
# deleted, and why. Shown on /me/ and /accounts/deleted/ and in the export.
account_kept_after_deletion = Signal()

# Return {"template": name, "context": dict} for a section of /me/, or None.
my_data_section = Signal()


class SecurityEvent(models.TextChoices):
    """What happened to an account's security, as accounts reports it
    (security_event below). The clinic's audit trail records these values
    with these labels (clinics.models.AuditEvent.Action)."""

    SIGNED_IN = "signed_in", _("Signed in with a password")
    SIGN_IN_FAILED = "sign_in_failed", _("Wrong password at sign-in")
    SECOND_FACTOR_ADDED = "second_factor_added", _("Connected an authenticator app")
    SECOND_FACTOR_PASSED = "second_factor_passed", _("Signed in with an authenticator code")
    SECOND_FACTOR_FAILED = "second_factor_failed", _("Entered a wrong code after the password")
    RECOVERY_CODES_MADE = "recovery_codes_made", _("Made new recovery codes")
    RECOVERY_CODE_USED = "recovery_code_used", _("Signed in with a recovery code")
    PASSWORD_CHANGED = "password_changed", _("Changed their password")
    PASSWORD_SET_BY_LINK = "password_set_by_link", _("Set a password with a one-time link")
    LINK_USED_BY_STAFF = "link_used_by_staff", _("A staff member used a patient’s new-passphrase link")
    SIGN_IN_RESET = "sign_in_reset", _("Reset a staff member’s sign-in (a set-password link; authenticator removed)")


# An account's security event: sent with `user=` (whose account), `event=`
# (a SecurityEvent), `request=` (or None), `detail=` (plain text) and `by=`
# (who did it, when not the account's owner). The apps above decide what to
# record, and where.
security_event = Signal()

# Every session of an account has just ended (services.sessions_end_all: "sign
# out everywhere", a deactivation, a sign-in reset), sent with `user=`. Not a
# sign-out of this device (Django's user_logged_out): nothing may count on
# the phones of that account being the person's any more.
sessions_ended = Signal()

# A staff member has just signed in all the way (password and second factor):
# sent with `user=` and `request=` (clinics tells admins what changed since).
signed_in_fully = Signal()
