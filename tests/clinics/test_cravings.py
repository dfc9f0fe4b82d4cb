"""The clinic's patient page shows shared craving summaries: a 30-day chart
drawn on the server (shapes and numbers, no script, no style attribute),
the same in words, and the most common triggers and tools."""

import re
from datetime import datetime, time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from clinics import charts
from tests.factories import craving_item, make_clinic, make_patient, make_staff, post_sync

pytestmark = pytest.mark.django_db


def shared_cravings(client, patient, items):
    client.force_login(patient.user)
    assert {r["status"] for r in post_sync(client, items).json()["results"]} == {"stored"}


def test_the_patient_page_draws_30_days_of_shared_cravings(client):
    clinic = make_clinic(time_zone="Europe/London")
    patient = make_patient(clinic=clinic, shares_cravings=True)
    # Early today by the clinic's clock (at worst a little in the future, which
    # the sync allows for a phone's clock), so both land on today's column.
    now = datetime.combine(clinic.today(), time(1), tzinfo=clinic.zone)
    shared_cravings(client, patient, [
        craving_item(at=(now + timedelta(hours=1)).isoformat(), intensity_before=8, intensity_after=3, tool="wave",
                     triggers={"feelings": ["Stressed"]}),
        craving_item(at=(now + timedelta(hours=2)).isoformat(), intensity_before=6, intensity_after=None,
                     tool="breathing", triggers={"feelings": ["Stressed"], "halt": ["Tired"]}),
        craving_item(at=(now - timedelta(days=3)).isoformat(), intensity_before=4, intensity_after=2, tool="wave",
                     triggers={}),
        # Outside the window:
        craving_item(at=(now - timedelta(days=40)).isoformat(), intensity_before=10, tool="people"),
    ])
    client.force_login(make_staff(clinic=clinic))
    html = client.get(patient.get_absolute_url()).content.decode()

    svg = re.search(r'<svg class="chart-svg".*?</svg>', html, re.S)[0]
    assert 'role="img"' in svg and 'aria-labelledby="craving-summary"' in svg
    assert "style" not in svg and "<script" not in svg
    assert svg.count('class="ch-dot"') == 2  # two days with a start rating
    assert svg.count('class="ch-square"') == 2  # and two with an end rating
    assert re.findall(r'class="ch-count" text-anchor="middle">(\d+)<', svg) == ["1", "2"]
    assert "3 cravings shared on 2 of the last 30 days. Average strength at the start: 6 out of 10." in html
    assert re.search(r"data-top-triggers><li>Stressed: 2</li><li>Tired: 1</li>", html)
    assert re.search(r"data-top-tools><li>Ride the wave: 2</li><li>Slow breathing: 1</li>", html)
    assert "My people" not in html


def test_the_summary_says_so_when_nothing_was_shared_lately():
    today = timezone.localdate()
    overview = charts.craving_overview([], today=today, zone=timezone.get_current_timezone())
    assert overview.summary == "No cravings shared in the last 30 days."
    assert len(overview.days) == 30 and overview.days[-1].date == today
    assert "<svg" in overview.chart_svg


def test_the_page_makes_the_same_number_of_queries_for_1_and_30_cravings(client):
    """Guards against an N+1 over the summaries (or their receipts)."""
    clinic = make_clinic()
    one, many = make_patient(clinic=clinic, shares_cravings=True), make_patient(clinic=clinic, shares_cravings=True)
    shared_cravings(client, one, [craving_item()])
    shared_cravings(client, many, [craving_item() for _ in range(30)])
    client.force_login(make_staff(clinic=clinic))
    counts = []
    for patient in (one, many):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(patient.get_absolute_url()).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
