import pytest
from py_vapid import Vapid02

from reminders import push

from . import push_service


@pytest.fixture(scope="session")
def vapid_private():
    key = Vapid02()
    key.generate_keys()
    return push.vapid_private_raw(key)


@pytest.fixture(scope="session")
def push_server(tmp_path_factory):
    service, server = push_service.start(tmp_path_factory.mktemp("push"))
    yield service
    server.shutdown()


@pytest.fixture
def pushes(push_server, settings, monkeypatch, vapid_private):
    """Reminders set up as in production, with the test push service on
    127.0.0.1 trusted through REQUESTS_CA_BUNDLE and listed in PUSH_HOSTS."""
    settings.VAPID_PRIVATE_KEY = vapid_private
    settings.VAPID_SUBJECT = "mailto:ops@crest.example"
    settings.PUSH_HOSTS = [*settings.PUSH_HOSTS, "127.0.0.1"]
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(push_server.ca_file))
    push_server.clear()
    push_server.answers.clear()
    return push_server
