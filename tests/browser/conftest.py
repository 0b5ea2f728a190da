"""One headless Chromium for all browser tests of a session."""

from __future__ import annotations

import pytest
from chromium import ARGS, CHROMIUM, require_chromium


@pytest.fixture(scope="session")
def browser():
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield chromium
        chromium.close()
