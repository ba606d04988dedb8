from __future__ import annotations

from pathlib import Path

import pytest

from tests.servers import full_stack, kafka_kinds, kafka_only

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO.parent / "shared" / "seeds"
EXAMPLES = REPO / "examples" / "articles"


@pytest.fixture
def seeds_dir() -> Path:
    if not SEEDS.is_dir() or not any(SEEDS.glob("*.txt")):
        pytest.skip(f"the seed articles are not here ({SEEDS} is absent: a user's own clone); "
                    "the project's examples cover the same paths")
    return SEEDS


@pytest.fixture
def stack(tmp_path):
    """Kafka + Elasticsearch, fresh for this test."""
    with full_stack(tmp_path) as ep:
        yield ep


@pytest.fixture(params=kafka_kinds())
def broker(request, tmp_path):
    """A Kafka-protocol broker, once per kind (noida-db and Tansu here)."""
    with kafka_only(request.param, tmp_path) as ep:
        yield ep
