"""Test-wide settings.

Under ``CI=true`` hypothesis runs derandomized: the same examples on every run, so CI cannot go
red or green by the luck of the draw. Locally it explores new examples each run and keeps the
failures it finds in its example database.
"""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
    settings.load_profile("ci")
