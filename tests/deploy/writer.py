"""A stand-in for a busy clinic, for the backup tests: its own process, writing
through the ORM to the database in DATABASE_URL until a stop file appears.

Transaction n inserts one row into each of seven tables (a user, patient,
used invite, assignment, lesson progress, audit event and a session) and,
once committed, appends `{"n": n, "rows": {table: [pk]}}` to the log. A backup
taken meanwhile must hold transactions 0..K whole and nothing after K.

    python -m tests.deploy.writer LOG STOPFILE
"""

import json
import os
import sys
import time
from datetime import timedelta
from pathlib import Path

import django


def main(log_path: Path, stop_path: Path) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
    django.setup()
    from django.db import transaction
    from django.utils import timezone

    from accounts.models import AccountSession, User
    from accounts.sessions import SessionStore
    from clinics.models import Assignment, AuditEvent, Clinic, Invite, LessonProgress, Patient
    from lessons.models import Lesson

    lessons = list(Lesson.objects.course())
    clinic, _ = Clinic.objects.get_or_create(slug="backup-writer", defaults={"name": "Backup Writer Clinic"})
    n = 0
    with open(log_path, "a", buffering=1) as log:
        while not stop_path.exists():
            now = timezone.now()
            with transaction.atomic():
                user = User(username=f"writer-{n}")
                user.set_unusable_password()
                user.save()
                patient = Patient.objects.create(user=user, clinic=clinic, label=f"W-{n}")
                invite = Invite.objects.create(clinic=clinic, label=f"W-{n}", used_at=now, patient=patient)
                lesson = lessons[n % len(lessons)]
                assignment = Assignment.objects.create(
                    patient=patient, lesson=lesson, due_date=now.date() + timedelta(days=n % 9)
                )
                progress = LessonProgress.objects.create(
                    patient=patient, lesson=lesson, completed_at=now, score=n % 4, total=3
                )
                event = AuditEvent.objects.create(
                    clinic=clinic, action=AuditEvent.Action.PATIENT_JOINED, patient=patient, detail=f"writer {n}",
                )
                session = SessionStore()
                session["n"] = n
                session.create()
            rows = {
                User._meta.db_table: [user.pk],
                Patient._meta.db_table: [patient.pk],
                Invite._meta.db_table: [invite.pk],
                Assignment._meta.db_table: [assignment.pk],
                LessonProgress._meta.db_table: [progress.pk],
                AuditEvent._meta.db_table: [event.pk],
                AccountSession._meta.db_table: [session.session_key],
            }
            log.write(json.dumps({"n": n, "rows": rows}) + "\n")
            n += 1
            time.sleep(0.002)


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
