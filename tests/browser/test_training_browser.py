"""The season and squad pages in headless Chromium at 1400 and 400 px, offline.

Season: ``finishline train`` on the 68 runpandas GPX sessions. Squad: the same sessions split
between two athletes (one with a config file and a corrupt file) and a third with junk only.
Every request other than ``file://`` is aborted; console errors or warnings, page errors,
blocked requests, overlapping texts, figures under 300 px or anything wider than the screen
fail. Needs ``/usr/bin/chromium`` and the shared corpus: skipped with a reason when missing,
failed under ``CI=true``.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from chromium import load_times, open_offline
from corpus import CORPUS, require_shared
from layout_checks import DRAWN_COUNTS, FIGURE_WIDTHS, layout_problems

from finishline.viz.theme import format_duration
from finishline.viz.training import RECENT_DAYS

FIGURES = {"load", "weekly", "critical_speed", "predictions"}
MAX_SEASON_BYTES = 2_000_000
MAX_SQUAD_BYTES = 3_000_000
MAX_FIRST_VIEW_CPU_MS = 1500.0

pytestmark = [pytest.mark.browser, pytest.mark.real]


def _sessions() -> list[Path]:
    require_shared(CORPUS)
    return sorted((CORPUS / "gpx").glob("runpandas__session_*.gpx"))


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """``finishline train`` on the 68 GPX sessions: the HTML path and the season JSON."""
    from finishline.cli import main

    root = tmp_path_factory.mktemp("training")
    season = root / "season"
    season.mkdir()
    for path in _sessions():
        shutil.copy(path, season / path.name)
    html_path, json_path = root / "training.html", root / "season.json"
    code = main(["train", str(season), "--html", str(html_path), "--json", str(json_path)])
    assert code == 0
    return html_path, json.loads(json_path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def squad(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """``finishline train --squad``: alice and bob share the sessions, bob has a config and a
    corrupt file, carol has junk only."""
    from finishline.cli import main

    sessions = _sessions()
    root = tmp_path_factory.mktemp("squad")
    for name in ("alice", "bob", "carol"):
        (root / "team" / name).mkdir(parents=True)
    for i, path in enumerate(sessions):
        shutil.copy(
            path, root / "team" / ("alice" if i < len(sessions) // 2 else "bob") / path.name
        )
    shutil.copy(CORPUS / "bad/runpandas__malformed__nosport_nodist.tcx", root / "team" / "bob")
    (root / "team" / "bob" / "athlete.toml").write_text(
        'name = "Bob B"\nsex = "female"\nage = 41\ngoal_marathon_s = 14400\n'
    )
    (root / "team" / "carol" / "broken.fit").write_bytes(b"\x0e\x10" + b"\x00" * 40)
    html_path, json_path = root / "squad.html", root / "squad.json"
    args = ["train", str(root / "team"), "--squad", "--html", str(html_path)]
    assert main([*args, "--json", str(json_path)]) == 0
    return html_path, json.loads(json_path.read_text(encoding="utf-8"))


def _check_page(browser, html_path: Path, width: int, shot: Path) -> list[str]:
    markup = re.sub(r"<script[^>]*>.*?</script>", "", html_path.read_text(), flags=re.DOTALL)
    assert not re.search(r"""(src|href)=["']https?://""", markup), "external resource"
    problems: list[str] = []
    page = open_offline(browser, html_path, width, problems)
    page.screenshot(path=str(shot), full_page=True)
    problems.extend(layout_problems(page))
    drawn = page.evaluate(DRAWN_COUNTS)
    assert drawn and all(n > 0 for n in drawn), drawn
    for key, figure_px, plot_px in page.evaluate(FIGURE_WIDTHS):
        assert 300 <= figure_px <= width, (key, figure_px)
        assert plot_px == 0 or plot_px >= 0.6 * figure_px, (key, plot_px)
    page.close()
    return problems


@pytest.mark.parametrize("width", [1400, 400])
def test_season_page(width: int, browser, dashboard, tmp_path: Path) -> None:
    html_path, season = dashboard
    assert not _check_page(browser, html_path, width, tmp_path / f"season_{width}.png")
    page = open_offline(browser, html_path, width, [])
    keys = page.evaluate(
        "() => [...document.querySelectorAll('.fl-figure')].map(s => s.dataset.figure)"
    )
    assert set(keys) == FIGURES
    assert page.locator("[data-figure=load] .barlayer .point").count() == len(season["load"])
    cs = season["critical_speed"]
    shown = page.locator("#fl-cs")
    if cs["valid"]:
        assert float(shown.get_attribute("data-value")) == pytest.approx(cs["critical_speed_mps"])
        assert page.locator("#fl-d-prime").inner_text() == f"{cs['d_prime_m']:.0f} m"
    else:  # a rejected fit shows no number, and the CS figure says why
        assert shown.get_attribute("data-value") == "" and shown.inner_text() == "-"
        assert "CS fit was rejected" in page.locator("[data-figure=critical_speed]").inner_text()
    marathon = next(
        p
        for p in season["predictions"]["races"]
        if p["race"] == "marathon" and p["method"] == "vdot"
    )
    assert page.locator("#fl-marathon").inner_text() == format_duration(marathon["time_s"])
    times = page.locator("#fl-predictions tbody tr td:nth-child(3)").all_inner_texts()
    assert times == [format_duration(p["time_s"]) for p in season["predictions"]["races"]]
    # estimated athlete values are said first and marked in the table
    estimated = [n for n, v in season["athlete"].items() if v["source"] == "estimated"]
    assert page.locator("#fl-warnings li").count() == len(estimated) > 0
    assert page.locator("#fl-athlete td.fl-estimated").count() == len(estimated)
    # the charts open on the recent block; older runs are there to zoom out to
    last = pd.Timestamp(season["load"][-1]["date"]).tz_localize(None)
    for key in FIGURES:
        lo, hi = page.evaluate(f"() => document.getElementById('fl-fig-{key}').layout.xaxis.range")
        lo, hi = pd.Timestamp(lo).tz_localize(None), pd.Timestamp(hi).tz_localize(None)
        assert hi >= last and (hi - lo).days <= RECENT_DAYS + 12, (key, lo, hi)
    first = pd.Timestamp(season["load"][0]["date"]).tz_localize(None)
    assert (last - first).days > RECENT_DAYS, "the season should be longer than the window"
    page.close()


@pytest.mark.parametrize("width", [1400, 400])
def test_squad_page(width: int, browser, squad, tmp_path: Path) -> None:
    html_path, result = squad
    assert not _check_page(browser, html_path, width, tmp_path / f"squad_{width}.png")
    page = open_offline(browser, html_path, width, [])
    rows = page.locator("#fl-team tbody tr")
    assert rows.count() == len(result["squad"]) == 3
    # the predicted-marathon axis reads h:mm, not decimal hours
    ticks = page.locator("[data-figure=marathon] .xtick text").all_text_contents()
    assert ticks and all(re.fullmatch(r"\d:\d\d", t) for t in ticks), ticks
    # sorting by runs puts carol (0 runs) first
    page.locator("#fl-team th", has_text="runs").first.click()
    assert rows.first.locator("td").first.inner_text() == "carol"
    # every athlete with a season: its four figures; estimates listed at the top
    for name in ("alice", "Bob B"):
        assert page.locator(".fl-athlete", has_text=name).locator(".fl-figure").count() == 4
        assert page.locator("#fl-warnings li", has_text=f"{name}: max heart rate").count() == 1
    page.close()


@pytest.mark.parametrize(
    ("name", "limit"), [("dashboard", MAX_SEASON_BYTES), ("squad", MAX_SQUAD_BYTES)]
)
def test_training_pages_are_light_and_fast(name: str, limit: int, browser, request) -> None:
    html_path, _ = request.getfixturevalue(name)
    size = html_path.stat().st_size
    assert size < limit, size
    for width in (1400, 400):
        times = load_times(browser, html_path, width)
        print(f"{name} {width}px: {size / 1e6:.2f} MB, {times}")
        assert times["first_view_cpu_ms"] < MAX_FIRST_VIEW_CPU_MS, (width, times)
