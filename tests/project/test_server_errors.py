"""handler500: a database out of reach (restart, failover, dropped
connection) answers 503 with Retry-After, so phones and load balancers retry;
any other failure is still a 500."""

import pytest
from django.db import InterfaceError, OperationalError
from django.test import Client
from django.urls import path

from project.urls import handler500  # noqa: F401 - this module is the URLconf under test


def database_gone(request):
    raise OperationalError("terminating connection due to administrator command")


def connection_closed(request):
    raise InterfaceError("connection already closed")


def broken(request):
    raise ValueError("a bug")


urlpatterns = [
    path("api/v1/thing", database_gone),
    path("page/", database_gone),
    path("closed/", connection_closed),
    path("bug/", broken),
]

pytestmark = pytest.mark.urls(__name__)


@pytest.fixture
def client():
    return Client(raise_request_exception=False)


def test_api_request_without_a_database_gets_a_json_503_with_retry_after(client, settings):
    settings.API_REQUESTS_PER_MINUTE = None  # the app's rate limit counts in the cache, a database table here
    response = client.post("/api/v1/thing", data=b"{}", content_type="application/json")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert "database" in response.json()["error"]


def test_page_without_a_database_gets_a_503_page(client):
    for url in ("/page/", "/closed/"):
        response = client.get(url)
        assert response.status_code == 503 and response["Retry-After"] == "5"
        assert "Nothing you saved on this phone is lost" in response.content.decode()


def test_any_other_failure_is_still_a_500(client):
    response = client.get("/bug/")
    assert response.status_code == 500
    assert "Retry-After" not in response
