"""Limits on the phone's API: a patient's phone may keep at most
SYNC_ITEMS_PER_DAY items a day (a broken or hostile phone cannot fill the
database), and one address at most API_REQUESTS_PER_MINUTE requests a
minute, in the app for deployments without nginx's limit_req
(deploy/nginx.conf). Over either, 429 with Retry-After: the phone's outbox
keeps its items and sends them later."""

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from clinics.models import SyncedItem
from tests.factories import craving_item, make_patient

pytestmark = pytest.mark.django_db
SYNC = "/api/v1/sync"
ME = "/api/v1/me/assignments/"


def send(phone, items: list[dict], **extra):
    return phone.post(SYNC, json.dumps({"items": items}), content_type="application/json", **extra)


def test_a_patient_keeps_at_most_the_daily_number_of_items(client, settings):
    settings.SYNC_ITEMS_PER_DAY = 6
    settings.API_REQUESTS_PER_MINUTE = 1000
    patient = make_patient(shares_cravings=True)
    client.force_login(patient.user)
    assert send(client, [craving_item() for _ in range(4)]).status_code == 200
    over = send(client, [craving_item() for _ in range(3)])
    assert over.status_code == 429 and int(over["Retry-After"]) > 0 and "error" in over.json()
    assert SyncedItem.objects.filter(patient=patient).count() == 4
    assert send(client, [craving_item() for _ in range(2)]).status_code == 200
    # A day later the phone sends the rest.
    SyncedItem.objects.filter(patient=patient).update(received_at=timezone.now() - timedelta(hours=25))
    assert send(client, [craving_item() for _ in range(3)]).status_code == 200


def test_one_address_may_make_a_limited_number_of_api_requests_a_minute(settings):
    settings.API_REQUESTS_PER_MINUTE = 5
    phone = Client()
    for _ in range(5):
        assert phone.get(ME, REMOTE_ADDR="203.0.113.5").status_code == 200
    refused = phone.get(ME, REMOTE_ADDR="203.0.113.5")
    assert refused.status_code == 429 and int(refused["Retry-After"]) <= 60 and "error" in refused.json()
    assert phone.get(ME, REMOTE_ADDR="203.0.113.6").status_code == 200  # someone else
    assert phone.get("/help/", REMOTE_ADDR="203.0.113.5").status_code == 200  # pages are not the API


def test_an_ipv6_64_is_one_address_for_the_api_limit(settings):
    settings.API_REQUESTS_PER_MINUTE = 3
    phone = Client()
    for n in range(3):
        assert phone.get(ME, REMOTE_ADDR=f"2001:db8:5:5::{n + 1}").status_code == 200
    assert phone.get(ME, REMOTE_ADDR="2001:db8:5:5:ffff::1").status_code == 429
