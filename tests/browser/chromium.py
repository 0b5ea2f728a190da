"""Headless Debian Chromium for the browser tests: where it is, how it starts, how a page opens.

Needs ``/usr/bin/chromium`` (``make browser`` installs it): a test skips with a reason when it
is missing, and fails under ``CI=true``. No browser is ever downloaded.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from layout_checks import ALL_DRAWN

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]


def require_chromium() -> None:
    """Skip (or fail under ``CI=true``) when Debian's chromium is not installed."""
    if CHROMIUM.exists():
        return
    reason = f"{CHROMIUM} not found (run `make browser`)"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(reason)
    pytest.skip(reason)


def open_offline(browser, html_path: Path, width: int, problems: list[str]):
    """Open ``html_path`` at ``width`` px with every non-``file://`` request aborted.

    Console errors and warnings (plotly's ``WARN`` lines included), page errors and blocked
    requests are appended to ``problems``. Returns the page once every Plotly graph has drawn.
    """
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.on(
        "console",
        lambda msg: (
            problems.append(f"console {msg.type}: {msg.text}")
            if msg.type in ("error", "warning") or msg.text.startswith("WARN")
            else None
        ),
    )
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))

    def offline(route) -> None:
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            problems.append(f"network request blocked: {route.request.url}")
            route.abort()

    page.route("**/*", offline)
    page.goto(html_path.resolve().as_uri())
    page.wait_for_function(ALL_DRAWN, timeout=30_000)
    return page
