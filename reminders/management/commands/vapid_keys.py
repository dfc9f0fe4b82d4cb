"""Print a new VAPID key pair for reminders. Make it once and keep it: a
new key stops every phone's reminders until the person turns them on again."""

from django.core.management.base import BaseCommand
from py_vapid import Vapid02

from reminders import push


class Command(BaseCommand):
    help = "Print a new VAPID key pair for CREST_VAPID_PRIVATE_KEY (base64url raw key) and CREST_VAPID_SUBJECT."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--private-only", action="store_true", help="Print only the private key (for scripts).")

    def handle(self, *args, private_only: bool = False, **options) -> None:
        key = Vapid02()
        key.generate_keys()
        private = push.vapid_private_raw(key)
        if private_only:
            self.stdout.write(private)
            return
        self.stdout.write(f"CREST_VAPID_PRIVATE_KEY={private}")
        self.stdout.write("CREST_VAPID_SUBJECT=mailto:you@example.org")
        self.stdout.write(f"# The public key (phones fetch it from /api/v1/push/): {push.vapid_public_key(key)}")
