"""Season and squad figures and pages: recent range, h:mm axes, units in hovers, typed input."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from finishline.athlete import Athlete
from finishline.training.critical_speed import CriticalSpeedFit
from finishline.training.results import Readiness, SeasonAnalysis, SquadAnalysis
from finishline.viz import squad, training
from finishline.viz.squad_report import squad_report_html
from finishline.viz.training_report import training_report_html


def _season() -> SeasonAnalysis:
    dates = pd.date_range("2021-01-04", periods=10, freq="7D", tz="UTC")
    valid = np.array([1, 1, 1, 0, 0, 0, 1, 1, 1, 1], dtype=bool)
    cs_trend = pd.DataFrame(
        {
            "critical_speed_mps": np.linspace(3.0, 3.3, 10),
            "d_prime_m": np.where(valid, 150.0, 600.0),
            "r2": 0.999,
            "n_points": 6,
            "valid": valid,
            "reason": np.where(valid, "", "D' 600 m outside 50-500"),
        },
        index=dates,
    )
    days = pd.date_range("2021-01-01", periods=70, freq="D")
    load = pd.DataFrame(
        {"load": np.tile([0, 60, 0, 90, 0, 0, 150.0], 10), "ctl": 20.0, "atl": 25.0, "tsb": -5.0},
        index=days,
    )
    weekly = pd.DataFrame(
        {"distance_km": [30.0, 0.0, 42.0], "longest_km": [15.0, 0.0, 21.0]},
        index=pd.date_range("2021-01-04", periods=3, freq="7D"),
    )
    trend = pd.DataFrame(
        {"marathon_vdot_s": np.linspace(14400, 13800, 10), "marathon_cs_s": 15000.0}, index=dates
    )
    prediction = {
        "race": "marathon",
        "distance_m": 42195.0,
        "method": "vdot",
        "time_s": 13800.0,
        "low_s": 13400.0,
        "high_s": 14300.0,
        "basis": "10 km in 2700 s",
    }
    return SeasonAnalysis(
        athlete=Athlete.given(name="test").with_values("estimated", "peak HR", max_hr_bpm=191.0),
        activities=pd.DataFrame({"file": [f"run{i}.fit" for i in range(30)]}),
        skipped=pd.DataFrame(columns=["file", "reason", "detail"]),
        load=load,
        weekly=weekly,
        critical_speed=CriticalSpeedFit(3.3, 150.0, 0.999, 6, True),
        cs_trend=cs_trend,
        predictions=pd.DataFrame([prediction]),
        prediction_trend=trend,
        backtest=pd.DataFrame(),
        readiness=Readiness(),
        end=dates[-1],
    )


def test_rejected_cs_weeks_are_gaps_and_shaded() -> None:
    cs_trend = _season().cs_trend
    spans = training.rejected_spans(cs_trend)
    assert len(spans) == 1 and spans[0][0] == cs_trend.index[3] and spans[0][1] == cs_trend.index[5]
    fig = training.critical_speed_figure(cs_trend)
    cs = np.asarray(fig.data[0].y, dtype=float)
    assert np.isnan(cs[3:6]).all() and np.isfinite(cs[[0, 1, 2, 6, 7, 8, 9]]).all()
    assert "D' 600 m" in fig.layout.title.subtitle.text  # the reason, said once above the plot
    assert sum(shape.type == "rect" for shape in fig.layout.shapes) == 1
    assert fig.data[0].customdata[-1] == "5:03"  # 3.3 m/s = 5:03 /km
    assert "m/s" in fig.data[0].hovertemplate and "/km" in fig.data[0].hovertemplate


def test_weekly_volume_has_no_marker_for_an_empty_week() -> None:
    fig = training.weekly_volume_figure(_season().weekly)
    longest = np.asarray(fig.data[1].y, dtype=float)
    assert np.isnan(longest[1]) and longest[2] == 21.0
    assert all("km" in t.hovertemplate for t in fig.data)


def test_prediction_axis_reads_hours_and_minutes() -> None:
    season = _season()
    fig = training.predictions_figure(season.prediction_trend, season.cs_trend)
    labels = list(fig.layout.yaxis.ticktext)
    assert labels and all(re.fullmatch(r"\d:\d\d", t) for t in labels)
    lo, hi = fig.layout.yaxis.range
    assert lo < 13800 and hi > 15000  # seconds, ticks as h:mm
    assert list(fig.layout.yaxis.tickvals) == sorted(fig.layout.yaxis.tickvals)


def test_season_charts_open_on_the_last_six_months() -> None:
    """Two runs years before the block must not stretch the charts: they stay reachable by
    zooming out, the range covers the recent block."""
    days = pd.date_range("2021-01-01", "2021-07-01", freq="D")
    old = pd.DatetimeIndex(["2017-03-01", "2017-06-01"])
    load = pd.DataFrame(
        {"load": 50.0, "ctl": 20.0, "atl": 25.0, "tsb": -5.0}, index=old.append(days)
    )
    fig = training.load_form_figure(load)
    lo, hi = (pd.Timestamp(x) for x in fig.layout.xaxis.range)
    assert hi > days[-1] and lo > pd.Timestamp("2020-12-20")
    assert (hi - lo).days <= training.RECENT_DAYS + 11
    assert pd.Timestamp(fig.data[0].x[0]).year == 2017  # the old runs are still drawn
    assert fig.layout.xaxis.unifiedhovertitle.text == "%{x|%a %d %b %Y}"


def test_training_page_from_the_typed_season() -> None:
    page = training_report_html(_season())
    assert 'id="fl-cs" data-value="3.3"' in page and "5:03 /km" in page
    assert 'id="fl-marathon" data-value="13800.0">3:50:00' in page
    assert 'id="fl-predictions"' in page and "goal_marathon_s" in page
    assert page.count('class="fl-figure"') == 4
    banner = re.search(r'id="fl-warnings".*?</section>', page, re.S).group(0)
    assert "<li>max heart rate estimated: 191 bpm (peak HR)</li>" in banner
    assert 'class="fl-estimated fl-text"' in page


def _squad() -> SquadAnalysis:
    season = _season()
    rows = []
    for name, pred, goal in (
        ("ann", 13800.0, 12600.0),
        ("ben", 16000.0, float("nan")),
        ("cy", float("nan"), float("nan")),
    ):
        rows.append(
            {
                "name": name,
                "runs": 0 if name == "cy" else 30,
                "last_run": None,
                "weekly_km": 40.0,
                "ctl": 20.0 if name != "cy" else float("nan"),
                "atl": 25.0,
                "tsb": -5.0,
                "acwr": 1.1,
                "readiness_pct": 60.0,
                "long_runs": 2,
                "critical_speed_mps": 3.3,
                "d_prime_m": 150.0,
                "predicted_marathon_s": pred,
                "predicted_marathon_low_s": pred - 400,
                "predicted_marathon_high_s": pred + 500,
                "goal_marathon_s": goal,
                "p_fail": 0.2,
                "p_fail_lo": 0.1,
                "p_fail_hi": 0.3,
                "risk_pace": "goal",
                "risk_time_s": 12600.0,
                "flags": ["few long runs"],
            }
        )
    athletes = {n: Athlete.given(name=n) for n in ("ann", "ben", "cy")}
    return SquadAnalysis(
        table=pd.DataFrame(rows),
        seasons={"ann": season, "ben": season},
        errors={"cy": "no analysable runs found"},
        athletes=athletes,
        folders={n: f"/team/{n}" for n in athletes},
        skipped=pd.DataFrame(
            {"file": ["x.fit"], "reason": ["corrupt"], "detail": ["?"], "athlete": ["cy"]}
        ),
        n_files=61,
    )


def test_squad_marathon_axis_in_hours_and_minutes() -> None:
    fig = squad.marathon_figure(_squad().table)
    assert list(fig.data[0].y) == ["ben", "ann"]  # fastest at the top
    assert all(re.fullmatch(r"\d:\d\d", t) for t in fig.layout.xaxis.ticktext)
    lo, hi = fig.layout.xaxis.range
    assert lo < 12600 and hi > 16500  # goal and band inside, in seconds
    assert "3:50:00" in fig.data[0].customdata[1][0]


def test_squad_page_from_the_typed_result() -> None:
    page = squad_report_html(_squad())
    assert page.count("plotly.js v4.1.1 partial bundle") == 1
    assert '<table id="fl-team" class="fl-sortable">' in page
    assert page.count('class="fl-figure"') == 2 + 2 * 4  # team figures, two seasons
    assert "ann: max heart rate estimated: 191 bpm (peak HR)" in page
    assert "no season (no analysable runs found)" in page
    # one id per figure: the athletes' figures do not collide
    ids = re.findall(r'id="(fl-fig-[^"]+)"', page)
    assert len(ids) == len(set(ids)) == 10
