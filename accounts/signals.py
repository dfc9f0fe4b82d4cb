"""How `accounts` asks the apps above it about a person's data without
importing them (imports flow one way: accounts <- clinics <- project).

An app that holds data about a person connects receivers in its
AppConfig.ready(); accounts sends these and knows nothing of who answers.
Receivers are called with `user=` (and `request=` for the page)."""

from django.dispatch import Signal

# Return a dict merged into the person's "my data" export. A key
# "kept_after_deletion" (a list of {"what", "why"}) is added to the export's
# own list rather than replacing it.
account_export = Signal()

# Delete, or strip the person from, what the app holds. Sent inside the
# deleting transaction, before the user row goes: an exception rolls the
# whole deletion back.
account_delete = Signal()

# Return a list of {"what", "why"}: what the app keeps after the account is
# deleted, and why. Shown on /me/ and /accounts/deleted/ and in the export.
account_kept_after_deletion = Signal()

# Return {"template": name, "context": dict} for a section of /me/, or None.
my_data_section = Signal()
