"""Headless Debian Chromium for the browser tests: where it is, how it starts, how a page opens.

Needs ``/usr/bin/chromium`` (``make browser`` installs it): a test skips with a reason when it
is missing, and fails under ``CI=true``. No browser is ever downloaded.
"""

from __future__ import annotations

import os
import statistics
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


def _thread_s(cdp) -> float:
    metrics = cdp.send("Performance.getMetrics")["metrics"]
    return next(m["value"] for m in metrics if m["name"] == "ThreadTime")


def load_times(browser, html_path: Path, width: int, runs: int = 3) -> dict[str, float]:
    """How long a page takes to open: medians over ``runs`` fresh pages.

    ``first_view_ms`` / ``drawn_ms``: wall-clock time from navigation start until the figures
    of the first screen / every figure had drawn (the page's render script records them).
    ``first_view_cpu_ms`` / ``drawn_cpu_ms``: CPU time of the page's main thread until then
    (Chrome's ``ThreadTime`` metric, thread ticks; the first-view one is an upper bound, read
    just after that moment). On a shared machine the wall-clock times measure the other
    processes too; the CPU times are what the page itself costs. No request interception
    here (it slows file loading); :func:`open_offline` is what proves the page offline.
    """
    keys = ("first_view_ms", "drawn_ms", "first_view_cpu_ms", "drawn_cpu_ms")
    samples: dict[str, list[float]] = {k: [] for k in keys}
    for _ in range(runs):
        page = browser.new_page(viewport={"width": width, "height": 900})
        cdp = page.context.new_cdp_session(page)
        cdp.send("Performance.enable", {"timeDomain": "threadTicks"})
        page.goto(html_path.resolve().as_uri(), wait_until="commit")
        page.wait_for_function("() => window.flFirstViewMs !== undefined", polling=10)
        samples["first_view_cpu_ms"].append(1000.0 * _thread_s(cdp))
        page.wait_for_function(ALL_DRAWN, timeout=60_000)
        samples["drawn_cpu_ms"].append(1000.0 * _thread_s(cdp))
        samples["first_view_ms"].append(page.evaluate("() => window.flFirstViewMs"))
        samples["drawn_ms"].append(page.evaluate("() => window.flDrawnMs"))
        page.close()
    return {k: round(statistics.median(v)) for k, v in samples.items()}
