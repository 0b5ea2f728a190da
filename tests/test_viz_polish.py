"""Figure details a runner sees: wrapped verdict box, score heatmap, training dashboard figures."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from finishline.athlete import Athlete
from finishline.training.critical_speed import CriticalSpeedFit
from finishline.training.results import Readiness, SeasonAnalysis
from finishline.viz import race, training
from finishline.viz.training_report import training_report_html

VERDICT = (
    "Final mile held: 13 % slower than your 5-20 km pace (10 s walking, under the 60 s failure "
    "line). Fatigue set in at 24 km (composite index >= 0.4 for 3 km or more)."
)


def test_first_sentence_and_wrap() -> None:
    assert race.first_sentence(VERDICT).endswith("failure line).")
    assert "Fatigue" not in race.first_sentence(VERDICT)
    lines = race.wrap_text(race.first_sentence(VERDICT), 40)
    assert all(len(line) <= 40 for line in lines)
    assert " ".join(lines) == race.first_sentence(VERDICT)
    assert race.wrap_text("a-very-long-unbreakable-word-over-the-limit", 10) == [
        "a-very-long-unbreakable-word-over-the-limit"
    ]


def test_risk_box_shows_only_the_first_sentence_wrapped() -> None:
    km = np.arange(5.0, 42.0)
    p = np.linspace(0.6, 0.05, km.size)  # high early: the box goes to the right
    risk = pd.DataFrame({"km": km, "p_fail": p, "p_lo": p * 0.5, "p_hi": np.minimum(1, p * 1.5)})
    fig = race.risk_figure(risk, final_mile={"pace_ratio": 1.13, "failed": False}, verdict=VERDICT)
    box = fig.layout.annotations[0]
    lines = [line.replace("<b>", "").replace("</b>", "") for line in box.text.split("<br>")]
    assert all(len(line) <= race.WRAP_CHARS for line in lines)
    assert "Fatigue set in" not in box.text and "+13 %" in box.text
    assert box.xanchor == "right" and box.x > 0.5


def test_fatigue_scores_drawn_as_heatmap_on_their_own_scale() -> None:
    km = np.arange(1.0, 43.0)
    frame = pd.DataFrame(
        {
            "km": km,
            "score_pace": np.clip((km - 30) / 12, 0, 1),
            "score_d_prime": np.full(km.size, 0.1),  # small: must stay small, not scaled to 1
            "fatigue_index": np.clip((km - 28) / 14, 0, 1),
        }
    )
    fig = race.fatigue_figure(frame, onset_km=30.0)
    heat = next(t for t in fig.data if t.type == "heatmap")
    assert list(heat.y) == ["pace fade", "D' spent"]
    assert heat.zmin == 0 and heat.zmax == 1
    assert np.asarray(heat.z)[1].max() == pytest.approx(0.1)


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
        athlete=Athlete.given(name="test"),
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
    season = _season()
    cs_trend = season.cs_trend
    spans = training.rejected_spans(cs_trend)
    assert len(spans) == 1 and spans[0][0] == cs_trend.index[3] and spans[0][1] == cs_trend.index[5]
    fig = training.critical_speed_figure(cs_trend)
    cs = np.asarray(fig.data[0].y, dtype=float)
    assert np.isnan(cs[3:6]).all() and np.isfinite(cs[[0, 1, 2, 6, 7, 8, 9]]).all()
    assert any("D' 600 m" in (a.text or "").replace("<br>", " ") for a in fig.layout.annotations)
    assert "5:03 /km" in fig.data[0].customdata[-1] + " /km"  # 3.3 m/s = 5:03 /km


def test_weekly_volume_has_no_marker_for_an_empty_week() -> None:
    fig = training.weekly_volume_figure(_season().weekly)
    longest = np.asarray(fig.data[1].y, dtype=float)
    assert np.isnan(longest[1]) and longest[2] == 21.0


def test_prediction_axis_reads_hours_and_minutes() -> None:
    season = _season()
    fig = training.predictions_figure(season.prediction_trend, season.cs_trend)
    labels = list(fig.layout.yaxis.ticktext)
    assert labels and all(":" in t for t in labels)
    lo, hi = fig.layout.yaxis.range
    assert lo * 3600 < 13800 and hi * 3600 > 15000


def test_training_report_hooks() -> None:
    page = training_report_html(_season())
    assert 'id="fl-cs" data-value="3.3"' in page and "5:03 /km" in page
    assert 'id="fl-marathon" data-value="13800.0">3:50:00' in page
    assert 'id="fl-predictions"' in page and "goal_marathon_s" in page
    assert page.count('class="fl-figure"') == 4
