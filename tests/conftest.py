"""Test-wide settings.

Every test that reads ``../shared`` must carry the ``real`` marker: :func:`corpus.require_shared`
fails a test that reaches the shared corpus without it.

Under ``CI=true`` hypothesis runs derandomized: the same examples on every run, so CI cannot go
red or green by the luck of the draw. Locally it explores new examples each run and keeps the
failures it finds in its example database.
"""

from __future__ import annotations

import os

import corpus
import pytest
from hypothesis import settings

# No deadlines: these machines are small and shared, and timings belong in benchmarks, not in
# pass/fail tests (a 200 ms deadline failed a correct example that took 254 ms under load).
settings.register_profile("default", deadline=None)
settings.register_profile("ci", derandomize=True, database=None, print_blob=True, deadline=None)
settings.load_profile("default")
if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
    settings.load_profile("ci")


@pytest.fixture(autouse=True)
def _current_test(request: pytest.FixtureRequest):
    """Let :func:`corpus.require_shared` check that a test reading ../shared is marked real."""
    corpus.CURRENT_TEST = request.node
    yield
    corpus.CURRENT_TEST = None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Everything under tests/real/ reads the shared corpus: mark it ``real``."""
    for item in items:
        if "real" in item.path.parts[-2:-1]:
            item.add_marker(pytest.mark.real)
