from __future__ import annotations

from pathlib import Path

import pytest

from tests.servers import STACK, kafka_kinds, kafka_of_kind, reference_servers
from tests.tools import require_apache_tools

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO.parent / "shared" / "seeds"
EXAMPLES = REPO / "examples" / "articles"


@pytest.fixture
def seeds_dir() -> Path:
    if not SEEDS.is_dir() or not any(SEEDS.glob("*.txt")):
        pytest.skip(
            f"the seed articles are not here ({SEEDS} is absent: a user's own clone); "
            "the project's examples cover the same paths"
        )
    return SEEDS


@pytest.fixture(scope="session")
def servers(tmp_path_factory):
    """The session's real Kafka and Elasticsearch (tests/servers.py), started on first use, stopped at the end."""
    if STACK == "apache":
        require_apache_tools()
    with reference_servers(tmp_path_factory.mktemp("servers")) as ep:
        yield ep


@pytest.fixture
def isolated_servers(servers):
    """The session's servers in a namespace of this test's own."""
    from tests.servers import isolated

    return isolated(servers)


@pytest.fixture(params=kafka_kinds())
def stack(request, servers, tmp_path):
    """Kafka of each kind (the reference, noida-db, Tansu) with the reference Elasticsearch, in this test's
    namespace."""
    with kafka_of_kind(request.param, servers, tmp_path) as ep:
        yield ep
