"""A demo clinic to click around in: `make run` calls this. Refused when debug
is off (the passwords are printed and public). Safe to run twice: it finds
what it made before and resets the demo passwords to the printed ones.

Demo staff sign in with a second step like all staff: after the login lines
it prints each one's authenticator key and recovery codes (fixed, public like
the passwords; running it again restores used recovery codes)."""

import hashlib
import uuid
from base64 import b32encode
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import at_rest, mfa
from clinics import services
from clinics.models import Clinic, Membership, Patient
from clinics.phone import sync
from lessons.models import Lesson

User = get_user_model()

CLINIC = {"slug": "demo", "name": "Riverside Demo Clinic"}
# (role printed, username, password, membership role or None for a patient, patient label)
LOGINS = [
    ("clinic-admin", "demo-admin", "demo-admin-pass-2026", Membership.Role.ADMIN, None),
    ("clinician", "demo-clinician", "demo-clinician-pass-2026", Membership.Role.CLINICIAN, None),
    ("patient", "demo-patient", "demo-patient-pass-2026", None, "DP-001"),
]
EXTRA_PATIENTS = ["AB-102", "CK-117", "MR-203"]


class Command(BaseCommand):
    help = "Create (or refresh) a demo clinic with staff and patients, and print the logins. Debug only."

    def handle(self, *args, **options) -> None:
        if not settings.DEBUG:
            raise CommandError("seed_demo is for development only and is refused when DJANGO_DEBUG is off.")
        with transaction.atomic():
            clinic, _ = Clinic.objects.get_or_create(
                slug=CLINIC["slug"], defaults={"name": CLINIC["name"], "time_zone": "America/New_York"}
            )
            users = {}
            for role_name, username, password, membership_role, label in LOGINS:
                user, _ = User.objects.get_or_create(username=username)
                user.set_password(password)
                user.save()
                users[role_name] = user
                if membership_role:
                    Membership.objects.update_or_create(user=user, defaults={"clinic": clinic, "role": membership_role})
                else:
                    Patient.objects.get_or_create(user=user, defaults={"clinic": clinic, "label": label})
            patients = [users["patient"].patient]
            for label in EXTRA_PATIENTS:
                user, _ = User.objects.get_or_create(username=f"demo-{label.lower()}")
                if user.has_usable_password():
                    user.set_unusable_password()  # no printed login: they only fill the dashboard
                    user.save()
                patient, _ = Patient.objects.get_or_create(user=user, defaults={"clinic": clinic, "label": label})
                patients.append(patient)
            self._assign(clinic, users["clinician"], patients)
            second_factors = {
                users[role_name].username: self._second_factor(users[role_name])
                for role_name, _, _, membership_role, _ in LOGINS
                if membership_role
            }
        for role_name, username, password, _, _ in LOGINS:
            self.stdout.write(f"login {role_name} {username} {password}")
        self.stdout.write(
            "# Staff also give a code: add their key to an authenticator app, or use a recovery code"
            " (each works once; run seed_demo again to restore them). DJANGO_STAFF_MFA=off skips this step."
        )
        for username, (key, codes) in second_factors.items():
            self.stdout.write(f"totp {username} {key}")
            self.stdout.write(f"recovery-codes {username} {' '.join(codes)}")

    def _second_factor(self, user) -> tuple[str, list[str]]:
        """A fixed authenticator key and ten recovery codes for a demo staff
        login: the key as apps take it (base32) and the codes."""
        seed = hashlib.sha256(f"crest-demo-second-factor:{user.username}".encode()).digest()
        key = seed[:20]
        TOTPDevice.objects.update_or_create(
            user=user, name=mfa.AUTHENTICATOR_NAME, defaults={"key": at_rest.key_encrypt(key), "confirmed": True}
        )
        static, _ = StaticDevice.objects.get_or_create(user=user, name=mfa.RECOVERY_NAME, defaults={"confirmed": True})
        codes = [b32encode(hashlib.sha256(seed + bytes([i])).digest()[:5]).decode().lower() for i in range(10)]
        static.token_set.all().delete()
        StaticToken.objects.bulk_create(StaticToken(device=static, token=at_rest.code_hash(code)) for code in codes)
        return b32encode(key).decode().rstrip("="), codes

    def _assign(self, clinic: Clinic, clinician, patients: list[Patient]) -> None:
        course = list(Lesson.objects.course()[:3])
        if not course:
            return
        today = timezone.localdate()
        # Existing assignments are updated, not duplicated (assignments_create upserts).
        services.assignments_create(
            clinician=clinician, clinic=clinic, patients=patients, lessons=course[:2],
            due_date=today + timedelta(days=5),
        )
        first = course[0]
        # One patient has done the first lesson with its check (sent as their
        # phone would, under a fixed id so a second run is a duplicate); one is overdue.
        completed = {
            "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"crest-demo:{patients[1].pk}:{first.slug}")),
            "type": "lesson.completed",
            "at": (timezone.now() - timedelta(days=1)).isoformat(),
            "lesson": first.slug,
            "score": first.quiz_total,
            "total": first.quiz_total,
        }
        sync.sync_items_apply(patient=patients[1], items=[completed])
        if len(course) > 2:
            overdue = services.assignments_create(
                clinician=clinician, clinic=clinic, patients=[patients[2]], lessons=[course[2]], due_date=today
            )[0]
            services.assignment_change_due(
                clinician=clinician, assignment=overdue, due_date=today - timedelta(days=3)
            )
