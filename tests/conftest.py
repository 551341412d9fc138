"""Shared fixtures: real public data beside the repository, and the demo borough."""

from pathlib import Path

import pytest

from tests.helpers import need

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data; skipped when absent, a failure when WARDMAP_REQUIRE_SHARED=1 (CI)."""
    need(SHARED.is_dir(), f"real data not found at {SHARED}")
    return SHARED
