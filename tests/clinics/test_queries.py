"""Query counts do not grow with the number of rows on a page."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from clinics import models, services, views
from clinics.models import Assignment, Patient
from tests.factories import (
    course_lesson,
    craving_item,
    lesson_item,
    make_assignment,
    make_clinic,
    make_lesson,
    make_patient,
    make_progress,
    make_staff,
    post_sync,
)

pytestmark = pytest.mark.django_db


def count_queries(client, url: str, method: str = "get") -> int:
    with CaptureQueriesContext(connection) as captured:
        response = getattr(client, method)(url)
        if response.streaming:  # its queries run while it is read
            b"".join(response.streaming_content)
    assert response.status_code == 200
    return len(captured)


def clinic_with_patients(n: int):
    clinic = make_clinic()
    today = timezone.localdate()
    lessons = [course_lesson(0), course_lesson(1)]
    for i in range(n):
        patient = make_patient(clinic=clinic)
        make_assignment(patient=patient, lesson=lessons[0], due_date=today - timedelta(days=1))
        make_assignment(patient=patient, lesson=lessons[1], due_date=today + timedelta(days=3))
        if i % 2:
            make_progress(patient=patient, lesson=lessons[0], done=True, score=2, total=3)
    return clinic


@pytest.mark.parametrize(
    "params",
    ["", "?show=overdue", "?show=not_started", "?q=P-", "?show=overdue&q=P-", "?page=2", "?page=999"],
    ids=["first page", "overdue", "not started", "search", "search overdue", "late page", "past the end"],
)
def test_dashboard_makes_the_same_number_of_queries_for_5_and_50_patients(client, params):
    """Guards the N+1 of counting each patient's assigned / done / overdue
    lessons and last activity row by row, and of filtering on them: filters
    and order read stored columns, and only the page shown is annotated (one
    correlated subquery each) in one query. 50 patients span two pages of 25."""
    small, large = clinic_with_patients(5), clinic_with_patients(50)
    client.force_login(make_staff(clinic=small))
    five = count_queries(client, reverse("clinics:dashboard") + params)
    client.force_login(make_staff(clinic=large))
    fifty = count_queries(client, reverse("clinics:dashboard") + params)
    print(f"\ndashboard{params} queries: 5 patients {five}, 50 patients {fifty}")
    assert five == fifty


def test_the_dashboard_reads_counts_for_the_page_shown_only(client):
    """The page's rows are fetched by id: whatever the clinic's size, the
    annotated query names at most one page of patients."""
    clinic = clinic_with_patients(30)
    client.force_login(make_staff(clinic=clinic))
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("clinics:dashboard") + "?page=2")
    assert len(response.context["page"].object_list) == 5
    annotated = [q["sql"] for q in captured if "last_activity" in q["sql"]]
    assert len(annotated) == 1 and " IN (" in annotated[0]


def test_patient_page_makes_the_same_number_of_queries_for_5_and_50_patients(client):
    """Guards the N+1 of building the clinic's patient context per patient
    (the page must look up one patient, scoped, not walk the clinic)."""
    small, large = clinic_with_patients(5), clinic_with_patients(50)
    client.force_login(make_staff(clinic=small))
    five = count_queries(client, small.patients.first().get_absolute_url())
    client.force_login(make_staff(clinic=large))
    fifty = count_queries(client, large.patients.last().get_absolute_url())
    print(f"\npatient page queries: clinic of 5 {five}, clinic of 50 {fifty}")
    assert five == fifty


@pytest.mark.parametrize("language", ["en", "es"])
def test_patient_page_makes_the_same_number_of_queries_for_1_and_30_assignments(client, language):
    """Guards the N+1 of fetching each assignment's lesson and its completion
    (date, score) one row at a time: select_related plus subquery annotations.
    In Spanish, each lesson's words too (its translation, or none)."""
    clinic = make_clinic()
    client.force_login(make_staff(clinic=clinic))
    few = make_patient(clinic=clinic)
    lesson = course_lesson(0)
    make_assignment(patient=few, lesson=lesson)
    make_progress(patient=few, lesson=lesson, done=True, score=3, total=3)
    many = make_patient(clinic=clinic)
    for i in range(30):
        lesson = make_lesson()
        make_assignment(patient=many, lesson=lesson)
        make_progress(patient=many, lesson=lesson, done=bool(i % 2), score=1, total=2)
    for _ in range(5):  # lessons done without being assigned
        make_progress(patient=many, lesson=make_lesson(), done=True)
    with translation.override(language):
        one = count_queries(client, few.get_absolute_url())
        thirty = count_queries(client, many.get_absolute_url())
    print(f"\npatient page queries ({language}): 1 assignment {one}, 30 assignments {thirty}")
    assert one == thirty


def test_assignments_api_makes_the_same_number_of_queries_for_1_and_30_assignments(client):
    """Guards the N+1 of the phone's "From your clinic" list: lesson and
    completion per assignment."""
    clinic = make_clinic()
    few, many = make_patient(clinic=clinic), make_patient(clinic=clinic)
    make_assignment(patient=few, lesson=course_lesson(0))
    for _ in range(30):
        lesson = make_lesson()
        make_assignment(patient=many, lesson=lesson)
        make_progress(patient=many, lesson=lesson, done=True, score=1, total=2)
    client.force_login(few.user)
    one = count_queries(client, reverse("clinics:api_assignments"))
    client.force_login(many.user)
    thirty = count_queries(client, reverse("clinics:api_assignments"))
    assert one == thirty


def test_export_makes_the_same_number_of_queries_for_5_and_50_patients(client):
    """Guards the N+1 of looking up each row's patient, lesson and completion,
    and of writing each patient's audit row one INSERT at a time."""
    small, large = clinic_with_patients(5), clinic_with_patients(50)
    client.force_login(make_staff(clinic=small))
    five = count_queries(client, reverse("clinics:export_csv"), method="post")
    client.force_login(make_staff(clinic=large))
    fifty = count_queries(client, reverse("clinics:export_csv"), method="post")
    assert five == fifty


def test_export_reads_in_chunks_as_it_streams(client, monkeypatch):
    """Memory stays flat: rows come from the database a chunk at a time
    while the response is read, not all at once before it starts."""
    monkeypatch.setattr(services, "EXPORT_CHUNK", 10)
    clinic = clinic_with_patients(50)
    client.force_login(make_staff(clinic=clinic))
    response = client.post(reverse("clinics:export_csv"))
    assert response.streaming
    pieces = iter(response.streaming_content)
    with CaptureQueriesContext(connection) as captured:
        first = next(pieces)
    assert first.startswith(b"patient,lesson") and first.count(b"\n") == 10 and len(captured) == 1
    assert (first + b"".join(pieces)).count(b"\n") == 1 + 100


def sync_queries(client, items: list) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = post_sync(client, items)
    assert response.status_code == 200
    assert {r["status"] for r in response.json()["results"]} == {"stored"}
    return len(captured)


def test_a_sync_batch_makes_the_same_number_of_queries_for_2_and_50_items(client):
    """Guards keeping a batch item by item (a lock, a lookup, an insert and
    a recount for each): 50 finished lessons and cravings cost what 2 do."""
    lessons = [course_lesson(i) for i in range(4)]

    def batch(n: int) -> list:
        return [
            lesson_item(lessons[i % 4], score=1, total=lessons[i % 4].quiz_total) if i % 2 else craving_item()
            for i in range(n)
        ]

    client.force_login(make_patient(shares_cravings=True).user)
    two = sync_queries(client, batch(2))
    client.force_login(make_patient(shares_cravings=True).user)
    fifty = sync_queries(client, batch(50))
    assert two == fifty


def test_a_large_count_is_remembered_until_it_changes_and_a_small_one_never(client, monkeypatch):
    """Counting a health system's patients is most of a dashboard page's
    database time: a count from LARGE_COUNT up is remembered. The count of
    everyone holds while nobody joins or leaves (the roster version); a
    filtered count for a minute, unless the page shown contradicts it. A
    small clinic's count is exact on every page."""
    monkeypatch.setattr(views, "LARGE_COUNT", 20)
    large, small = clinic_with_patients(25), clinic_with_patients(5)
    client.force_login(make_staff(clinic=large))
    url = reverse("clinics:dashboard")
    first = count_queries(client, url)
    again = count_queries(client, url)
    assert again == first - 1
    make_patient(clinic=large)
    assert client.get(url).context["page"].paginator.count == 26  # a join: counted afresh
    assert count_queries(client, url) == again

    overdue = f"{url}?show=overdue"  # 13 of 25 at first (clinic_with_patients)
    lesson = Assignment.objects.filter(patient__clinic=large).order_by("due_date").first().lesson

    def one_more_overdue() -> None:
        make_assignment(patient=make_patient(clinic=large), lesson=lesson, due_date=large.today() - timedelta(days=1))

    for _ in range(14):
        one_more_overdue()
    assert client.get(overdue).context["page"].paginator.count == 27  # two pages
    one_more_overdue()
    assert client.get(overdue).context["page"].paginator.count == 27  # remembered: page 1 agrees with it
    # Page 2 shows 3 rows, which 27 does not allow: counted afresh.
    assert client.get(f"{overdue}&page=2").context["page"].paginator.count == 28

    client.force_login(make_staff(clinic=small))
    assert count_queries(client, url) == count_queries(client, url)
    make_patient(clinic=small)
    assert client.get(url).context["page"].paginator.count == 6


def dashboard_page(client, params: str) -> tuple[list[str], bool]:
    """A dashboard page's labels, and whether reaching it counted the rows before it (OFFSET)."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("clinics:dashboard") + params)
    assert response.status_code == 200
    counted = any(" OFFSET " in query["sql"] for query in captured)
    return [patient.label for patient in response.context["page"].object_list], counted


def every_page(client, params: str = "") -> list[str]:
    first = client.get(reverse("clinics:dashboard") + "?" + params)
    pages = first.context["page"].paginator.num_pages
    return [label for number in range(1, pages + 1) for label in dashboard_page(client, f"?{params}&page={number}")[0]]


def test_a_large_lists_pages_start_where_they_were_last_found(client, monkeypatch):
    """Paging a health system's patients with OFFSET reads every index entry
    before the page: 25,000 of them for page 1,000, most of that page's
    database time. While nobody joins, leaves or is relabelled (the clinic's
    roster version), the list of everyone is the same list: where a page
    starts, and where the next one starts (after its last row), is
    remembered and the page read from there. The rows are read afresh."""
    monkeypatch.setattr(views, "LARGE_COUNT", 20)
    clinic = clinic_with_patients(80)  # four pages of 25 (the last one 5)
    client.force_login(make_staff(clinic=clinic))

    def exact() -> list[str]:
        return list(clinic.patients.order_by("label", "pk").values_list("label", flat=True))

    labels = exact()
    assert dashboard_page(client, "?page=1") == (labels[:25], False)
    assert dashboard_page(client, "?page=2") == (labels[25:50], False)  # after page 1's last row
    assert dashboard_page(client, "?page=3") == (labels[50:75], False)  # and so on
    views.remembered.clear()
    assert dashboard_page(client, "?page=3") == (labels[50:75], True)  # a jump: found once by counting rows
    assert dashboard_page(client, "?page=3") == (labels[50:75], False)  # then from where it starts
    assert dashboard_page(client, "?page=4") == (labels[75:], False)  # the next page: after page 3's last row

    # A patient leaving before page 3 moves it: counted afresh, exact.
    clinic.patients.get(label=labels[10]).delete()
    assert dashboard_page(client, "?page=3") == (exact()[50:75], True)
    assert dashboard_page(client, "?page=3") == (exact()[50:75], False)


@pytest.mark.parametrize("show", ["", "show=overdue"])
def test_every_patient_is_on_exactly_one_page_after_joins_leaves_and_new_labels(client, monkeypatch, show):
    """Remembered page starts never hide a patient or show one twice: a
    patient who joins first in the list, one who joins inside a page, one
    who leaves and one relabelled are each on exactly one page, straight
    away (in the list of everyone and in a filtered one)."""
    monkeypatch.setattr(views, "LARGE_COUNT", 20)
    clinic = clinic_with_patients(80)
    client.force_login(make_staff(clinic=clinic))
    listed = Patient.objects.for_clinic(clinic)
    if show:
        listed = listed.overdue(today=clinic.today())
    assert every_page(client, show) == list(listed.order_by("label", "pk").values_list("label", flat=True))

    labels = list(listed.order_by("label", "pk").values_list("label", flat=True))
    overdue_lesson = Assignment.objects.filter(patient__clinic=clinic).order_by("due_date").first().lesson
    for label in ("A-first", labels[len(labels) * 3 // 4] + "a"):
        joined = make_patient(clinic=clinic, label=label)
        make_assignment(patient=joined, lesson=overdue_lesson, due_date=clinic.today() - timedelta(days=1))
    clinic.patients.get(label=labels[len(labels) // 3]).delete()
    relabelled = clinic.patients.get(label=labels[5])
    relabelled.label = "ZZ-last"
    relabelled.save()
    assert every_page(client, show) == list(listed.order_by("label", "pk").values_list("label", flat=True))


def test_a_staff_page_reads_the_membership_with_the_user(client):
    """Staff who passed the second factor are not asked whether they are
    staff before every page (a membership query), and the page's own
    membership and clinic come with the user (accounts.backends): no query
    of its own."""
    clinic = clinic_with_patients(3)
    client.force_login(make_staff(clinic=clinic))  # with the second factor (tests.factories.Client)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(reverse("clinics:dashboard")).status_code == 200
    assert not [q for q in captured if 'FROM "clinics_membership"' in q["sql"]]
    assert [q for q in captured if 'FROM "accounts_user" LEFT OUTER JOIN "clinics_membership"' in q["sql"]]


def days_built(monkeypatch, queryset_class, method: str) -> list:
    """The `today` of each call of a queryset method taking today=, from now on."""
    built = []
    real = getattr(queryset_class, method)

    def counting(self, *, today):
        built.append(today)
        return real(self, today=today)

    monkeypatch.setattr(queryset_class, method, counting)
    return built


def test_the_dashboard_builds_its_progress_annotation_once_a_day(client, monkeypatch):
    """Building and resolving the overdue and last-activity subqueries is
    half the cost of a page's rows: it is done once per day and process, and
    each page filters a copy to its ids (the values stay right: see
    test_views)."""
    models.patients_with_progress.cache_clear()
    built = days_built(monkeypatch, models.PatientQuerySet, "with_progress")
    client.force_login(make_staff(clinic=clinic_with_patients(3)))
    for params in ("", "?show=overdue", "?page=2"):
        assert client.get(reverse("clinics:dashboard") + params).status_code == 200
    assert len(built) == 1


def test_the_patient_page_and_the_phones_assignments_build_the_status_once_a_day(client, monkeypatch):
    clinic = clinic_with_patients(2)
    patient = clinic.patients.first()
    models.assignments_with_status.cache_clear()
    built = days_built(monkeypatch, models.AssignmentQuerySet, "with_status")
    client.force_login(make_staff(clinic=clinic))
    for _ in range(2):
        page = client.get(reverse("clinics:patient_detail", args=[patient.pk]))
        assert page.status_code == 200 and len(page.context["assignments"]) == 2
    client.force_login(patient.user)
    for _ in range(2):
        assert len(client.get(reverse("clinics:api_assignments")).json()["assignments"]) == 2
    assert len(built) == 1


def test_lists_of_assigned_lessons_leave_the_lessons_text_out(client):
    """A patient's page and the phone's assignments show titles: each
    lesson's body, quiz and sources (kilobytes each) stay in the database."""
    clinic = clinic_with_patients(1)
    patient = clinic.patients.get()
    make_progress(patient=patient, lesson=course_lesson(3), done=True)  # an unassigned lesson done too
    client.force_login(make_staff(clinic=clinic))
    with CaptureQueriesContext(connection) as captured:
        page = client.get(reverse("clinics:patient_detail", args=[patient.pk]))
        client.force_login(patient.user)
        client.get(reverse("clinics:api_assignments"))
    assert page.context["other_progress"]
    read = [q["sql"] for q in captured if '"lessons_lesson"' in q["sql"]]
    assert read and not [sql for sql in read if '"lessons_lesson"."body"' in sql or '"lessons_lesson"."quiz"' in sql]


def test_the_roster_version_moves_when_a_patient_joins_leaves_moves_or_is_relabelled_only():
    """What lets the dashboard remember where the pages of everyone start.
    Saving a patient's other fields (sharing choices) leaves it, and costs
    no query for fields a queryset left out."""
    here, there = make_clinic(), make_clinic()

    def versions() -> tuple[int, int]:
        here.refresh_from_db()
        there.refresh_from_db()
        return here.roster_version, there.roster_version

    patient = make_patient(clinic=here)
    assert versions() == (1, 0)
    patient.shares_cravings = True
    patient.save()
    assert versions() == (1, 0)
    patient.label = "P-new"
    patient.save()
    assert versions() == (2, 0)
    patient.clinic = there
    patient.save()
    assert versions() == (3, 1)
    partial = Patient.objects.only("pk", "shares_progress").get(pk=patient.pk)
    partial.shares_progress = False
    with CaptureQueriesContext(connection) as captured:
        partial.save(update_fields=["shares_progress"])
    assert len(captured) == 1 and versions() == (3, 1)
    patient.delete()
    assert versions() == (3, 2)
