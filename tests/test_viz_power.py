"""Power in the pages: a splits column, the power-duration figure and Pw:HR beside Pa:HR in the
race report; critical power in the season page and the team table; all only with power."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
import pytest
from synthetic import synthetic_track
from test_viz_polish import _season

from finishline.activity import ActivityMeta, make_activity
from finishline.analysis import analyze
from finishline.training.critical_power import CriticalPowerFit
from finishline.viz.report import race_figures, race_report_html
from finishline.viz.tables import splits_table_html
from finishline.viz.training_report import season_figures, training_report_html

COLUMNS = ["distance_m", "speed_mps", "altitude_m", "heart_rate_bpm", "cadence_spm", "power_w"]


def _race(with_power: bool):
    track = synthetic_track(
        ((15000.0, 3.6),),
        wobble=0.04,
        heart_rate=lambda v, d: 140.0 * (1.0 + 0.08 * d / 15000.0) * v / 3.6,
        cadence=lambda v, d: np.full(v.size, 172.0),
    )
    track["altitude_m"] = 100.0
    track["power_w"] = 70.0 * track["speed_mps"] if with_power else np.nan
    meta = ActivityMeta(source_path="power.fit", format="fit", sport="running")
    meta.power_source = "developer: Stryd Power" if with_power else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return analyze(make_activity(track[COLUMNS], meta), max_hr_bpm=190, rest_hr_bpm=50)


@pytest.fixture(scope="module")
def powered():
    return _race(True)


@pytest.fixture(scope="module")
def unpowered():
    return _race(False)


def _splits_rows(html: str) -> list[list[str]]:
    table = re.search(r'<table id="fl-splits">(.*?)</table>', html, re.DOTALL)
    assert table
    return [
        re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row)
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table.group(1))
    ]


def test_splits_table_shows_power_only_with_power(powered, unpowered) -> None:
    rows = _splits_rows(splits_table_html(powered.splits_km))
    assert rows[0][-1] == "power (W)"
    for row, power in zip(rows[1:], powered.splits_km["avg_power_w"], strict=True):
        assert row[-1] == f"{power:.0f}"
    assert "power" not in _splits_rows(splits_table_html(unpowered.splits_km))[0][-1]
    gappy = powered.splits_mile.copy()
    gappy.loc[1, "avg_power_w"] = np.nan  # one split without power: a dash, never "nan W"
    rows = _splits_rows(splits_table_html(gappy, "mile"))
    assert rows[2][-1] == "-" and "nan" not in "".join(sum(rows, []))


def test_race_report_has_power_figure_and_pw_hr_tile(powered) -> None:
    figures = race_figures(powered)
    names = list(figures)
    assert names.index("power_curve") == names.index("heart") + 1
    trace = figures["power_curve"].data[0]
    np.testing.assert_allclose(np.asarray(trace.y, float), powered.power_curve["power_w"])
    assert figures["power_curve"].layout.xaxis.type == "log"
    assert "Stryd" in figures["power_curve"].layout.title.text
    html = race_report_html(powered)
    tile = re.search(r'id="fl-pw-hr" data-pa-hr="([^"]*)" data-value="([^"]*)">([^<]*)<', html)
    assert tile, "the Pw:HR tile"
    pa, pw, text = float(tile.group(1)), float(tile.group(2)), tile.group(3)
    assert pw == pytest.approx(powered.decoupling.pw_hr) and pa == pytest.approx(
        powered.decoupling.pa_hr
    )
    assert text == f"{100 * pw:.1f} % / {100 * pa:.1f} %"
    assert not re.search(r"nan ?W", html)


def test_race_report_without_power_is_unchanged(unpowered) -> None:
    assert "power_curve" not in race_figures(unpowered)
    html = race_report_html(unpowered)
    assert "fl-pw-hr" not in html and "power (W)" not in html
    assert unpowered.to_json()["power_curve"] == []
    assert unpowered.to_json()["decoupling"]["pw_hr"] is None


def test_race_tables_and_json_carry_power(powered) -> None:
    assert powered.to_frame("power_curve").equals(powered.power_curve)
    out = powered.to_json()
    assert out["power_source"] == "developer: Stryd Power"
    assert [r["power_w"] for r in out["power_curve"]] == pytest.approx(
        powered.power_curve["power_w"].tolist()
    )
    assert out["decoupling"]["pw_hr"] == pytest.approx(powered.decoupling.pw_hr)


def _powered_season():
    season = _season()
    t = np.array([60.0, 120.0, 180.0, 240.0, 300.0, 420.0, 600.0, 720.0, 900.0, 1200.0])
    season.power_envelope = pd.DataFrame({"duration_s": t, "power_w": 280.0 + 15000.0 / t})
    season.critical_power = CriticalPowerFit(280.0, 15000.0, 0.9999, 8, True)
    return season


def test_season_page_shows_critical_power() -> None:
    season = _powered_season()
    html = training_report_html(season)
    assert re.search(r'id="fl-cp" data-value="280.0">280 W<', html)
    assert re.search(r'id="fl-w-prime" data-value="15000.0">15.0 kJ<', html)
    assert "Critical power 280 W, W&#x27; 15.0 kJ, R² 0.9999" in html
    fig = season_figures(season)["power_curve"]
    model = next(t for t in fig.data if t.name.startswith("CP 280 W"))
    x, y = np.asarray(model.x, float), np.asarray(model.y, float)
    np.testing.assert_allclose(y, 280.0 + 15000.0 / x, rtol=1e-3)  # compacted floats


def test_season_page_with_a_rejected_fit_says_why() -> None:
    season = _powered_season()
    season.critical_power = CriticalPowerFit.none("efforts span < 5 min")
    html = training_report_html(season)
    assert re.search(r'id="fl-cp" data-value="">-<', html)
    assert "No valid critical-power fit: efforts span &lt; 5 min." in html


def test_season_page_without_power_has_no_cp() -> None:
    season = _season()
    html = training_report_html(season)
    assert "fl-cp" not in html and "critical-power" not in html
    assert "power_curve" not in season_figures(season)


def _with_runs(season):
    starts = pd.date_range("2021-01-01", periods=len(season.activities), freq="2D", tz="UTC")
    season.activities = season.activities.assign(start_time=starts, distance_m=10000.0)
    return season


def test_team_table_has_critical_power_only_when_an_athlete_has_it() -> None:
    from finishline.training.team import squad_row
    from finishline.viz.squad_report import team_table_html

    with_cp = squad_row("ann", _with_runs(_powered_season()))
    without = squad_row("bob", _with_runs(_season()))
    assert with_cp["critical_power_w"] == 280.0 and with_cp["w_prime_j"] == 15000.0
    assert np.isnan(without["critical_power_w"]) and np.isnan(without["w_prime_j"])
    anchors = {"ann": "a-ann", "bob": "a-bob"}
    both = team_table_html(pd.DataFrame([with_cp, without]), anchors)
    assert "CP W" in both and re.search(r"data-sort='280.0'>280</td>", both)
    assert "CP W" not in team_table_html(pd.DataFrame([without]), anchors)
