"""The deploy tests' running stack: nginx (TLS) in front of two gunicorn
servers on one throwaway PostgreSQL database (bench/topology.py), started
once for the session and shared by the proxy and load tests."""

import pytest

from bench.topology import TopologyUnavailable, topology
from tests.deploy.databases import require_postgres


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    require_postgres()
    try:
        with topology(tmp_path_factory.mktemp("topology")) as running:
            yield running
    except TopologyUnavailable as error:
        pytest.skip(str(error))
