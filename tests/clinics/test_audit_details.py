"""An audit entry's detail is stored as the service wrote it (English, never
edited) and read in the page's language on the audit log."""

from datetime import date

import pytest
from django.urls import reverse
from django.utils import translation

from clinics import services
from clinics.models import Assignment, AuditEvent, Membership
from tests.factories import course_lesson, make_admin, make_clinic, make_patient, make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def clinic_history():
    """One entry of every shape clinics.services writes with a detail."""
    clinic = make_clinic()
    admin = make_admin(clinic=clinic)
    patient = make_patient(clinic=clinic, label="AB-1", shares_cravings=True)
    lessons = [course_lesson(0), course_lesson(1)]
    services.assignments_create(
        clinician=admin, clinic=clinic, patients=[patient], lessons=lessons, due_date=date(2026, 12, 12), note=""
    )
    assignment = Assignment.objects.get(patient=patient, lesson=lessons[0])
    services.assignment_change_due(clinician=admin, assignment=assignment, due_date=date(2026, 12, 20))
    services.staff_create(clinic=clinic, added_by=admin, username="dr-new", role=Membership.Role.CLINICIAN)
    leaving = make_staff(clinic=clinic)
    services.staff_deactivate(clinic=clinic, by=admin, membership=leaving.membership)
    list(services.progress_export_csv(clinic=clinic, actor=admin))
    services.sharing_set(patient=patient, category="cravings", share=False)
    return clinic, admin, lessons


def details(clinic, language: str) -> dict[str, list[str]]:
    shown: dict[str, list[str]] = {}
    with translation.override(language):
        for event in AuditEvent.objects.filter(clinic=clinic).order_by("pk"):
            if event.detail:
                shown.setdefault(event.action, []).append(event.detail_text)
    return shown


def test_every_detail_reads_in_spanish_with_its_dates_and_roles(clinic_history):
    clinic, _, lessons = clinic_history
    shown = details(clinic, "es")
    slugs = f"{lessons[0].slug}, {lessons[1].slug}"
    assert shown[AuditEvent.Action.ASSIGNED] == [f"{slugs}, fecha límite 12 Dic 2026"]
    assert shown[AuditEvent.Action.DUE_CHANGED] == [f"{lessons[0].slug}: fecha límite 12 Dic 2026, ahora 20 Dic 2026"]
    assert shown[AuditEvent.Action.STAFF_ADDED] == ["dr-new (Profesional clínico)"]
    assert shown[AuditEvent.Action.STAFF_DEACTIVATED][0].endswith("(Profesional clínico)")
    assert shown[AuditEvent.Action.EXPORTED] == ["2 filas", "Incluido en una descarga del progreso (CSV)"]
    assert shown[AuditEvent.Action.SHARING_STOPPED] == ["resúmenes de ansias"]


def test_in_english_the_detail_reads_as_before_with_the_clinics_date_format(clinic_history):
    clinic, _, lessons = clinic_history
    shown = details(clinic, "en")
    assert shown[AuditEvent.Action.ASSIGNED] == [f"{lessons[0].slug}, {lessons[1].slug}, due 12 Dec 2026"]
    assert shown[AuditEvent.Action.STAFF_ADDED] == ["dr-new (Clinician)"]
    assert shown[AuditEvent.Action.EXPORTED] == ["2 rows", "Included in a progress export (CSV)"]


def test_the_stored_detail_is_english_and_the_role_its_value_whatever_the_language(clinic_history):
    clinic, _, _ = clinic_history
    stored = AuditEvent.objects.get(clinic=clinic, action=AuditEvent.Action.STAFF_DEACTIVATED).detail
    assert stored.endswith("(clinician)")
    assert AuditEvent.objects.get(clinic=clinic, action=AuditEvent.Action.ASSIGNED).detail.endswith("due 2026-12-12")


def test_a_label_that_happens_to_be_a_phrase_is_never_translated():
    invite_label = "Done"  # also a msgid ("Terminada" in Spanish)
    with translation.override("es"):
        assert AuditEvent(action=AuditEvent.Action.INVITE_CREATED, detail=invite_label).detail_text == "Done"


def test_the_spanish_audit_log_page_shows_no_english_detail(client, clinic_history):
    clinic, admin, _ = clinic_history
    client.force_login(admin)
    body = client.get("/es" + reverse("clinics:audit_log")).content.decode()
    for english in (" due ", " rows", "Included in", "craving summaries", "(clinician)", "(Clinician)"):
        assert english not in body, english
    assert "fecha límite 12 Dic 2026" in body and "Profesional clínico" in body
