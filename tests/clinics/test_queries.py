"""Query counts do not grow with the number of rows on a page."""

import html
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from clinics import models, services
from clinics.models import Assignment, Patient
from tests.factories import (
    course_lesson,
    craving_item,
    lesson_item,
    make_admin,
    make_assignment,
    make_clinic,
    make_lesson,
    make_patient,
    make_progress,
    make_staff,
    post_sync,
)

pytestmark = pytest.mark.django_db



@pytest.fixture(autouse=True)
def no_api_rate_limit(settings):
    """The API's rate limit counts in the cache, a query more on an address's
    first request than on its next: off here, where requests are compared."""
    settings.API_REQUESTS_PER_MINUTE = None

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
    lessons and last activity row by row, and of filtering on them: filters,
    order and rows read stored columns, and only the page shown has its
    overdue counts counted for the day. 50 patients span two pages of 25."""
    small, large = clinic_with_patients(5), clinic_with_patients(50)
    client.force_login(make_staff(clinic=small))
    five = count_queries(client, reverse("clinics:dashboard") + params)
    client.force_login(make_staff(clinic=large))
    fifty = count_queries(client, reverse("clinics:dashboard") + params)
    print(f"\ndashboard{params} queries: 5 patients {five}, 50 patients {fifty}")
    assert five == fifty


def test_the_dashboard_reads_counts_for_the_page_shown_only(client):
    """The page's rows are fetched by id: whatever the clinic's size, the
    rows and the day's overdue recount name at most one page of patients."""
    clinic = clinic_with_patients(30)
    client.force_login(make_staff(clinic=clinic))
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("clinics:dashboard") + "?page=2")
    assert len(response.context["page"].object_list) == 5
    # The rows (read, then read again once the day's overdue counts are
    # stored) and the recount name the page's patients only.
    rows = [q["sql"] for q in captured if "overdue_count" in q["sql"]]
    assert len(rows) == 3 and all(" IN (" in sql for sql in rows)


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
    one = count_queries(client, reverse("phone:api_assignments"))
    client.force_login(many.user)
    thirty = count_queries(client, reverse("phone:api_assignments"))
    assert one == thirty


def test_export_makes_the_same_number_of_queries_for_5_and_50_patients(client):
    """Guards the N+1 of looking up each row's patient, lesson and completion,
    and of writing each patient's audit row one INSERT at a time."""
    small, large = clinic_with_patients(5), clinic_with_patients(50)
    client.force_login(make_admin(clinic=small))
    five = count_queries(client, reverse("clinics:export_csv"), method="post")
    client.force_login(make_admin(clinic=large))
    fifty = count_queries(client, reverse("clinics:export_csv"), method="post")
    assert five == fifty


def test_export_reads_in_chunks_as_it_streams(client, monkeypatch):
    """Memory stays flat: rows come from the database a chunk at a time
    while the response is read, not all at once before it starts."""
    monkeypatch.setattr(services, "EXPORT_CHUNK", 10)
    clinic = clinic_with_patients(50)
    client.force_login(make_admin(clinic=clinic))
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


def patients_counted(client, url: str):
    """The dashboard's page at `url`, and whether it counted the patients (not the cached count)."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    counted = [q for q in captured if q["sql"].startswith('SELECT COUNT(*) AS "__count" FROM "clinics_patient"')]
    return response.context["page"], bool(counted)


def test_the_count_is_kept_in_the_shared_cache_and_a_page_that_contradicts_it_is_counted_afresh(client):
    """Counting a health system's patients is most of a dashboard page's
    database time: the count is kept (settings.CACHES) per clinic, filter,
    search and day. The rows shown are read afresh; a page whose rows the
    count does not allow counts again."""
    clinic = clinic_with_patients(30)
    client.force_login(make_staff(clinic=clinic))
    url = reverse("clinics:dashboard")
    assert patients_counted(client, url)[1]
    page, counted = patients_counted(client, url)
    assert not counted and page.paginator.count == 30
    assert patients_counted(client, url + "?show=overdue")[1]  # another filter, another count

    make_patient(clinic=clinic)
    page, counted = patients_counted(client, url)  # 25 rows and more after them: 30 allows that
    assert not counted and page.paginator.count == 30
    page, counted = patients_counted(client, url + "?page=2")  # 6 rows, where 30 allows 5
    assert counted and page.paginator.count == 31 and len(page.object_list) == 6
    page, counted = patients_counted(client, url)
    assert not counted and page.paginator.count == 31

    for patient in clinic.patients.order_by("label", "pk")[:2]:
        patient.delete()
    page, counted = patients_counted(client, url + "?page=2")  # 4 rows, where 31 allows 6
    assert counted and page.paginator.count == 29 and len(page.object_list) == 4


def pager_link(response, rel: str) -> str | None:
    """The page's "Next" or "Previous" link, as the browser would follow it."""
    found = re.search(rf'<a href="([^"]+)" rel="{rel}">', response.content.decode())
    return reverse("clinics:dashboard") + html.unescape(found.group(1)) if found else None


def every_page(client, params: str = "", *, start: str | None = None, rel: str = "next") -> list[str]:
    """The labels on each page, following the "Next" links from the first
    (or the "Previous" links from `start`), as a person pages."""
    url, pages = start or reverse("clinics:dashboard") + f"?{params}", []
    while url:
        response = client.get(url)
        pages.append([patient["label"] for patient in response.context["page"].object_list])
        url = pager_link(response, rel)
    return [label for page in (pages if rel == "next" else pages[::-1]) for label in page]


@pytest.mark.parametrize("show", ["", "show=overdue"])
def test_every_patient_is_on_exactly_one_page_after_joins_leaves_and_new_labels(client, show):
    """A cached count never hides a patient or shows one twice: a patient who
    joins first in the list, one who joins inside a page, one who leaves and
    one relabelled are each on exactly one page, straight away (in the list
    of everyone, where the joins need one page more than the cached count
    allows, and in a filtered one)."""
    clinic = clinic_with_patients(75)
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

    def counting(self, *args, today):
        built.append(today)
        return real(self, *args, today=today)

    monkeypatch.setattr(queryset_class, method, counting)
    return built


def test_the_dashboard_reads_its_rows_for_each_request(client, monkeypatch):
    """No queryset is kept in the process between requests (one list() away
    from serving one person's rows to another)."""
    built = days_built(monkeypatch, models.PatientQuerySet, "progress_rows")
    client.force_login(make_staff(clinic=clinic_with_patients(3)))
    for params in ("", "?show=overdue", "?page=2"):
        assert client.get(reverse("clinics:dashboard") + params).status_code == 200
    assert len(built) == 3


def test_the_patient_page_and_the_phones_assignments_build_the_status_for_each_request(client, monkeypatch):
    clinic = clinic_with_patients(2)
    patient = clinic.patients.first()
    built = days_built(monkeypatch, models.AssignmentQuerySet, "with_status")
    client.force_login(make_staff(clinic=clinic))
    for _ in range(2):
        page = client.get(reverse("clinics:patient_detail", args=[patient.pk]))
        assert page.status_code == 200 and len(page.context["assignments"]) == 2
    client.force_login(patient.user)
    for _ in range(2):
        assert len(client.get(reverse("phone:api_assignments")).json()["assignments"]) == 2
    assert len(built) == 4


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
        client.get(reverse("phone:api_assignments"))
    assert page.context["other_progress"]
    read = [q["sql"] for q in captured if '"lessons_lesson"' in q["sql"]]
    assert read and not [sql for sql in read if '"lessons_lesson"."body"' in sql or '"lessons_lesson"."quiz"' in sql]


def test_next_and_previous_read_a_deep_page_from_the_index_not_an_offset(client):
    """The pager's links name the patient a page starts after (or ends
    before), by id: a page deep in a health system's list is read from the
    label index where that patient sits, not by skipping every row before
    it. Walking back with "Previous" gives the same pages."""
    clinic = clinic_with_patients(80)
    client.force_login(make_staff(clinic=clinic))
    everyone = list(clinic.patients.order_by("label", "pk").values_list("label", flat=True))
    response = client.get(reverse("clinics:dashboard"))
    with CaptureQueriesContext(connection) as captured:
        second = client.get(pager_link(response, "next"))
    page = second.context["page"]
    assert "after=" in pager_link(response, "next") and page.number == 2
    assert [patient["label"] for patient in page.object_list] == everyone[25:50]
    rows = [q["sql"] for q in captured if 'SELECT "clinics_patient"."id"' in q["sql"] and "ORDER BY" in q["sql"]]
    assert rows and not [sql for sql in rows if "OFFSET" in sql]

    last = client.get(reverse("clinics:dashboard") + "?page=4")  # a typed ?page=N still works
    assert [patient["label"] for patient in last.context["page"].object_list] == everyone[75:]
    assert every_page(client, start=pager_link(last, "prev"), rel="prev") == everyone[:75]
    assert "Page 1 of 4" in client.get(pager_link(second, "prev")).content.decode()


def test_paging_on_while_patients_join_and_leave_shows_each_one_there_throughout_once(client):
    """Between two clicks on "Next", patients join and leave behind and ahead
    of the page shown: the pages that follow start right after the last
    patient seen, so nobody who was there throughout is skipped or shown
    twice."""
    clinic = clinic_with_patients(80)
    client.force_login(make_staff(clinic=clinic))
    first = client.get(reverse("clinics:dashboard"))
    second = client.get(pager_link(first, "next"))
    seen = [p["label"] for page in (first, second) for p in page.context["page"].object_list]

    anchor = clinic.patients.get(label=seen[-1])
    clinic.patients.get(label=seen[3]).delete()  # one the person has already paged past
    clinic.patients.order_by("label", "pk")[60].delete()  # one ahead
    make_patient(clinic=clinic, label="A-new")  # joins behind: on page 1 from now
    make_patient(clinic=clinic, label=seen[-1] + "b")  # joins right after the last one seen
    rest = every_page(client, start=pager_link(second, "next"))
    expected = [label for label in clinic.patients.order_by("label", "pk").values_list("label", flat=True)
                if label > anchor.label]
    assert rest == expected and not set(rest) & set(seen)


def test_a_pager_link_naming_another_clinics_patient_pages_by_number(client):
    """An `after` id from another clinic says nothing about that patient: the
    page is read by its number, as if the id were not there."""
    clinic, other = clinic_with_patients(30), clinic_with_patients(3)
    client.force_login(make_staff(clinic=clinic))
    stranger = other.patients.order_by("label").last()
    response = client.get(reverse("clinics:dashboard") + f"?page=2&after={stranger.pk}")
    everyone = list(clinic.patients.order_by("label", "pk").values_list("label", flat=True))
    assert [patient["label"] for patient in response.context["page"].object_list] == everyone[25:]
    assert stranger.label not in response.content.decode()


@pytest.mark.parametrize("anchor", ["²", "x1", "-3", "99999999999999999999999", ""])
@pytest.mark.parametrize("direction", ["after", "before"])
def test_a_pager_link_with_a_mangled_id_pages_by_number(client, anchor, direction):
    """A hand-edited or cut-off link is not an error: the page is read by its number."""
    clinic = clinic_with_patients(30)
    client.force_login(make_staff(clinic=clinic))
    response = client.get(reverse("clinics:dashboard") + f"?page=2&{direction}={anchor}")
    assert response.status_code == 200
    everyone = list(clinic.patients.order_by("label", "pk").values_list("label", flat=True))
    assert [patient["label"] for patient in response.context["page"].object_list] == everyone[25:]


def test_a_search_pages_through_every_match_in_label_order_once(client):
    """A search that matches few patients is sorted after it is read
    (clinics.paging.FEW_MATCHES): its pages, numbered and by Next link,
    keep the dashboard's order and show each match once."""
    clinic = make_clinic()
    for i in range(60):
        make_patient(clinic=clinic, label=f"ZX-{(i * 37) % 60:03d}")
    for i in range(5):
        make_patient(clinic=clinic, label=f"OTHER-{i}")
    client.force_login(make_staff(clinic=clinic))
    matches = sorted(f"ZX-{i:03d}" for i in range(60))
    assert every_page(client, "q=zx-") == matches
