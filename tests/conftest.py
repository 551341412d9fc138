"""Shared fixtures: real public data beside the repository, and the demo borough."""

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data; skipped when absent, a failure when WARDMAP_REQUIRE_SHARED=1 (CI)."""
    if not SHARED.is_dir():
        if os.environ.get("WARDMAP_REQUIRE_SHARED") == "1":
            pytest.fail(f"WARDMAP_REQUIRE_SHARED=1 but {SHARED} is missing")
        pytest.skip(f"real data not found at {SHARED}")
    return SHARED
