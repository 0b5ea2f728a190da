"""Power on the pages in headless Chromium at 1400 and 400 px: the race report of a Stryd run
and the season page of two runs with running power. The power figure and tiles must draw
without overlapping texts; the splits table gains its power column. Other figures are checked
by the race and season browser tests."""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import pytest
from chromium import open_offline
from corpus import CORPUS, require_shared
from layout_checks import layout_problems

pytestmark = [pytest.mark.browser, pytest.mark.real]

STRYD_RUN = "bad/tormoder__mornindew-broken__run_16.8km.fit"
ONE_ATHLETE = (
    "tcx/ggps__activity_17075053124_lorimer_avinger__run_8.0km.tcx",
    "tcx/ggps__activity_17191864852-slow-10k__run_10.0km.tcx",
)


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    from finishline.analysis import analyze
    from finishline.training.batch import read_many
    from finishline.training.season import analyze_season

    require_shared(CORPUS)
    root = tmp_path_factory.mktemp("power")
    runs = root / "runs"
    runs.mkdir()
    for name in ONE_ATHLETE:
        shutil.copy(CORPUS / name, runs / Path(name).name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        race = analyze(CORPUS / STRYD_RUN)
        season = analyze_season(read_many(runs, progress=False))
    return {
        "race": race.write_html(root / "race.html"),
        "season": season.write_html(root / "s.html"),
    }


@pytest.mark.parametrize("width", [1400, 400])
def test_race_report_power_draws_cleanly(width: int, browser, pages) -> None:
    problems: list[str] = []
    page = open_offline(browser, pages["race"], width, problems)
    assert not problems
    assert page.locator("[data-figure=power_curve] .scatterlayer .point").count() > 20
    assert page.locator("#fl-splits th", has_text="power (W)").count() == 1
    assert "%" in page.locator("#fl-pw-hr").inner_text()
    assert not [p for p in layout_problems(page) if "power" in p or "fl-pw-hr" in p]


@pytest.mark.parametrize("width", [1400, 400])
def test_season_page_power_draws_cleanly(width: int, browser, pages) -> None:
    problems: list[str] = []
    page = open_offline(browser, pages["season"], width, problems)
    assert not problems
    assert page.locator("#fl-cp").inner_text().endswith(" W")
    assert page.locator("#fl-w-prime").inner_text().endswith(" kJ")
    model = page.locator("[data-figure=power_curve] .scatterlayer .trace")
    assert model.count() == 2  # the best powers and the CP model
    assert not [p for p in layout_problems(page) if "power" in p]
