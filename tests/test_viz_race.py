"""Race figures on a synthetic marathon with known pace, fade, hills, walking and route.

Every figure draws what the analysis holds: each test changes a value of the result (the
reference pace, the stops, the outcome, the calibration...) and checks that the figure shows
the changed value, which it could not if it computed its own.
"""

from __future__ import annotations

import warnings
from dataclasses import replace

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from finishline.activity import ActivityMeta, make_activity
from finishline.analysis import analyze
from finishline.definitions import FMF_PACE_RATIO, METRE_PER_MILE
from finishline.results import RaceAnalysis
from finishline.viz import fatigue_risk, heart, pace, route, traces
from finishline.viz.report import race_figures
from finishline.viz.theme import format_pace, pace_strings, pace_ticks

MARATHON_M = 42195.0
REF_SPEED = 1000.0 / 300.0  # 5:00 /km


def synthetic_track(
    *, gps: bool = True, hr: bool = True, walk_s: int = 90, fade_from_m: float = 30000.0
) -> pd.DataFrame:
    """A 1 Hz marathon: 5:00/km to ``fade_from_m``, then a linear fade to 6:30/km at the
    finish, ``walk_s`` seconds walking at 1.5 m/s 800 m before the end, rolling hills, HR
    drifting 150 -> 170 bpm, cadence 172 -> 160 spm, and a loop-shaped GPS route."""
    speeds = []
    distance = 0.0
    walked = 0
    while distance < MARATHON_M:
        if distance >= MARATHON_M - 800.0 and walked < walk_s:
            v = 1.5
            walked += 1
        elif distance < fade_from_m:
            v = REF_SPEED
        else:
            frac = (distance - fade_from_m) / (MARATHON_M - fade_from_m)
            v = 1000.0 / (300.0 + 90.0 * frac)
        speeds.append(v)
        distance += v
    speed = np.asarray(speeds)
    dist = np.cumsum(speed) - speed[0]
    n = speed.size
    t = np.arange(n, dtype="float64")
    idx = pd.date_range("2024-10-06 13:30:00", periods=n, freq="1s", tz="UTC", name="timestamp")
    alt = 250.0 + 20.0 * np.sin(dist / 3000.0 * 2 * np.pi)
    grade = np.gradient(alt) / np.maximum(np.gradient(dist), 0.1)
    angle = dist / MARATHON_M * 2 * np.pi
    frame = pd.DataFrame(
        {
            "elapsed_s": t,
            "moving": speed > 0.5,
            "distance_m": dist,
            "speed_mps": speed,
            "altitude_m": alt,
            "grade": grade,
            "gap_speed_mps": speed * (1 + 3 * grade),
            "heart_rate_bpm": np.linspace(150, 170, n) if hr else np.nan,
            "hr_artefact": np.zeros(n, dtype=bool),
            "cadence_spm": np.linspace(172, 160, n),
            "stride_length_m": speed * 60 / np.linspace(172, 160, n),
            "lat_deg": 44.95 + 0.05 * np.sin(angle) if gps else np.nan,
            "lon_deg": -93.2 + 0.07 * (1 - np.cos(angle)) if gps else np.nan,
            "power_w": np.nan,
        },
        index=idx,
    )
    return frame


def synthetic_analysis(**track_options) -> RaceAnalysis:
    """:func:`finishline.analyze` of a run recorded along :func:`synthetic_track`."""
    track = synthetic_track(**track_options)
    columns = ["distance_m", "speed_mps", "altitude_m", "heart_rate_bpm", "cadence_spm"]
    columns += ["lat_deg", "lon_deg"]
    meta = ActivityMeta(source_path="synthetic.fit", format="fit", sport="running")
    activity = make_activity(track[columns], meta)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return analyze(activity, max_hr_bpm=190, rest_hr_bpm=50, critical_speed_mps=3.9)


@pytest.fixture(scope="module")
def analysis() -> RaceAnalysis:
    return synthetic_analysis()


def _trace(fig: go.Figure, name: str):
    return next(t for t in fig.data if t.name == name)


def _lines(fig: go.Figure) -> list:
    return [s for s in fig.layout.shapes if s.type == "line"]


# ---------------------------------------------------------------------- helpers


def test_format_pace_and_ticks() -> None:
    assert format_pace(300.0, "km") == "5:00 /km"
    assert format_pace(59.6) == "1:00"
    assert format_pace(float("nan")) == "-"
    assert list(pace_strings(np.array([300.0, 365.0, np.nan]))) == ["5:00", "6:05", "-"]
    vals, text = pace_ticks(290.0, 410.0)
    assert len(vals) <= 7 and all(290 <= v <= 410 for v in vals)
    assert text == list(pace_strings(np.array(vals)))


def test_downsample_by_distance_keeps_means_and_is_light() -> None:
    track = synthetic_track()
    step = traces.display_step(track)
    binned = traces.downsample_by_distance(track, step, ["speed_mps", "heart_rate_bpm"])
    assert traces.DISPLAY_POINTS * 0.95 <= len(binned) <= traces.DISPLAY_POINTS + 1 < len(track)
    assert np.all(np.diff(binned["distance_m"]) > 0)
    assert binned["heart_rate_bpm"].mean() == pytest.approx(
        track["heart_rate_bpm"].mean(), rel=0.01
    )


def test_first_sentence_and_wrap() -> None:
    text = "Final mile held: 13 % slower than your 5-20 km pace. Fatigue set in at 24 km."
    assert traces.first_sentence(text) == "Final mile held: 13 % slower than your 5-20 km pace."
    lines = traces.wrap_text(traces.first_sentence(text), 20)
    assert all(len(line) <= 20 for line in lines)
    assert " ".join(lines) == traces.first_sentence(text)
    assert traces.wrap_text("a-very-long-unbreakable-word", 10) == ["a-very-long-unbreakable-word"]


# ---------------------------------------------------------------------- figures


@pytest.mark.parametrize("unit, per_unit", [("km", 1000.0), ("mile", METRE_PER_MILE)])
def test_pace_figure_units_and_the_analysis_reference(analysis, unit: str, per_unit: float) -> None:
    fm = replace(analysis.final_mile, reference="6-18 km", reference_pace_s_per_km=333.0)
    fig = pace.pace_elevation_figure(analysis.track, unit, final_mile=fm)
    line = _trace(fig, "pace")
    x, y = np.asarray(line.x, dtype=float), np.asarray(line.y, dtype=float)
    # the first 20 km run at 5:00/km: the display pace shows it in the chosen unit
    assert np.nanmedian(y[(x > 2) & (x < 12)]) == pytest.approx(300.0 * per_unit / 1000, rel=0.01)
    assert x.max() == pytest.approx(MARATHON_M / per_unit, rel=0.01)
    assert fig.layout.yaxis.range[0] > fig.layout.yaxis.range[1], "faster must be up"
    ref = _lines(fig)[0]
    assert ref.y0 == pytest.approx(333.0 * per_unit / 1000)  # the analysis' value, drawn
    label = next(a.text for a in fig.layout.annotations if "reference" in a.text)
    assert label.startswith("6-18 km reference ")
    suffix = "/km" if unit == "km" else "/mi"
    assert all(suffix in t.hovertemplate for t in fig.data if t.name in ("pace", "GAP"))
    assert fig.layout.xaxis.unifiedhovertitle.text == f"%{{x:.2f}} {suffix[1:]}"
    assert len(x) <= traces.DISPLAY_POINTS + 1


def test_pace_figure_without_speed_degrades() -> None:
    fig = pace.pace_elevation_figure(synthetic_track().assign(speed_mps=np.nan))
    assert fig.layout.meta["available"] is False
    assert "Not available" in fig.layout.annotations[0].text


@pytest.mark.parametrize("unit", ["km", "mile"])
def test_splits_bars_from_the_given_reference(analysis, unit: str) -> None:
    splits = analysis.splits_km if unit == "km" else analysis.splits_mile
    fig = pace.splits_figure(splits, unit, reference_pace_s_per_km=300.0, reference_label="x ref")
    bar = fig.data[0]
    ref = 300.0 * (1.0 if unit == "km" else 1.609344)
    assert np.allclose(np.asarray(bar.base, dtype=float), ref)
    pace_col = "pace_s_per_km" if unit == "km" else "pace_s_per_mile"
    assert np.allclose(np.asarray(bar.y) + ref, splits[pace_col])
    colors = list(bar.marker.color)
    assert colors[2] == "rgb(217, 217, 217)"  # on reference: neutral grey
    assert colors[-2] == "rgb(213, 94, 0)"  # the faded last full split: vermillion
    assert list(bar.x) == list(splits["split"])  # a numeric axis: plotly thins the labels
    assert "partial" in fig.layout.xaxis.title.text and "x ref" in fig.layout.title.text
    assert np.asarray(bar.marker.opacity)[-1] < 1.0


def test_what_follows_the_finish_is_marked_as_not_the_race(analysis) -> None:
    """A file that goes on past the race's finish (a walk-off, a cool-down): its splits that
    reach 50 m or more past the finish are grey and say so, in a band "after the finish"; the
    pace figure shades the same stretch. A finish at the end of the file marks nothing."""
    splits = analysis.splits_km
    ends = np.cumsum(splits["distance_m"].to_numpy(float))
    finish = float(ends[-1]) - 2500.0
    fig = pace.splits_figure(splits, "km", reference_pace_s_per_km=300.0, finish_m=finish)
    bar = fig.data[0]
    grey = np.asarray(bar.marker.color) == pace.AFTER_FINISH_BAR
    np.testing.assert_array_equal(grey, ends - finish >= 50.0)
    assert 2 <= grey.sum() <= 4 and not grey[: len(grey) - 4].any()
    assert all("after the finish" in str(c[1]) for c in np.asarray(bar.customdata)[grey])
    band = [s for s in fig.layout.shapes if s.type == "rect"]
    assert len(band) == 1 and band[0].x0 == float(splits["split"][grey].iloc[0]) - 0.5
    assert any(a.text == "after the finish" for a in fig.layout.annotations)
    plain = pace.splits_figure(splits, "km", reference_pace_s_per_km=300.0, finish_m=ends[-1])
    assert pace.AFTER_FINISH_BAR not in list(plain.data[0].marker.color)
    assert not [s for s in plain.layout.shapes if s.type == "rect"]
    fm = replace(analysis.final_mile, finish_m=finish)
    shaded = pace.pace_elevation_figure(analysis.track, "km", final_mile=fm)
    rects = [s for s in shaded.layout.shapes if s.type == "rect"]
    assert len(rects) == 1 and rects[0].x0 == pytest.approx(finish / 1000.0)
    fm_end = replace(analysis.final_mile, finish_m=float(analysis.track["distance_m"].max()))
    unshaded = pace.pace_elevation_figure(analysis.track, "km", final_mile=fm_end)
    assert not [s for s in unshaded.layout.shapes if s.type == "rect"]


def test_heart_figure_draws_the_analysis_efficiency_and_decoupling(analysis) -> None:
    per_km = analysis.fatigue.per_km.assign(efficiency_m_per_beat=1.234)
    curve = pd.DataFrame({"distance_m": [10000.0, 20000.0, 40000.0], "pa_hr": [0.0, 0.02, 0.08]})
    dec = replace(analysis.decoupling, curve=curve, onset_m=28400.0)
    fig = heart.heart_rate_figure(analysis.track, "km", decoupling=dec, efficiency=per_km)
    assert [t.name for t in fig.data] == ["heart rate", "cadence", "efficiency", "decoupling"]
    assert np.allclose(np.asarray(_trace(fig, "efficiency").y, dtype=float), 1.234)
    assert np.allclose(np.asarray(_trace(fig, "decoupling").y, dtype=float), [0, 2, 8])
    assert sum(1 for s in _lines(fig) if s.x0 == 28.4) == 4
    assert any("28.4 km" in (a.text or "") for a in fig.layout.annotations)
    units = {"heart rate": "bpm", "cadence": "steps/min", "efficiency": "m per beat"}
    for name, unit in units.items():
        assert unit in _trace(fig, name).hovertemplate


def test_heart_figure_without_hr_keeps_cadence() -> None:
    track = synthetic_track(hr=False)
    fig = heart.heart_rate_figure(track, "km")
    assert [t.name for t in fig.data] == ["cadence"]
    assert "no heart rate" in fig.layout.title.subtitle.text


def test_final_mile_draws_the_analysis_stops_and_outcome(analysis) -> None:
    fm = analysis.final_mile
    start = fm.start_m
    stops = pd.DataFrame(
        {
            "kind": ["walk", "stop", "walk"],
            "start_m": [start + 500.0, start + 900.0, 1000.0],  # the last is far before: left out
            "distance_m": [120.0, 0.0, 50.0],
        }
    )
    fig = pace.final_mile_figure(analysis.track, "km", final_mile=fm, stops=stops)
    rects = [s for s in fig.layout.shapes if s.type == "rect"]
    walk = [r for r in rects if r.fillcolor == pace.WALK_FILL]
    stop = [r for r in rects if r.fillcolor == pace.STOP_FILL]
    assert [(r.x0, r.x1) for r in walk] == [
        pytest.approx(((start + 500) / 1e3, (start + 620) / 1e3))
    ]
    assert len(stop) == 1 and stop[0].x1 - stop[0].x0 == pytest.approx(0.03)  # drawn 30 m wide
    ys = sorted(s.y0 for s in _lines(fig))
    ref = fm.reference_pace_s_per_km
    assert ys == pytest.approx([ref, ref * FMF_PACE_RATIO])
    assert fig.layout.title.text.endswith(f"({fm.outcome})")
    avg = _trace(fig, "final-mile average")
    assert avg.y[0] == pytest.approx(fm.pace_s_per_km)
    # the outcome is the analysis' word, not a threshold of the figure's own
    held = replace(fm, failed=False, pace_ratio=1.01, walk_s=0.0, stop_s=0.0)
    fig = pace.final_mile_figure(analysis.track, "km", final_mile=held, stops=stops)
    assert fig.layout.title.text.endswith("+1 % vs 5-20 km (held)")
    walked = replace(held, failed=True, walk_s=50.0, stop_s=30.0)
    fig = pace.final_mile_figure(analysis.track, "km", final_mile=walked, stops=stops)
    assert fig.layout.title.text.endswith("+1 % vs 5-20 km, 80 s walking or stopped (failed)")


def test_final_mile_figure_short_run(analysis) -> None:
    fm = replace(analysis.final_mile, pace_ratio=float("nan"))
    assert pace.final_mile_figure(analysis.track, final_mile=fm).layout.meta["available"] is False


def test_risk_figure_states_a_transferred_model_and_the_notes(analysis) -> None:
    risk = replace(
        analysis.risk,
        calibration="transferred from the marathon model, not calibrated on 30 kms",
        notes=["the chip-split model covers 5-41 km of a marathon; no risk after"],
    )
    fig = fatigue_risk.risk_figure(risk, final_mile=analysis.final_mile, verdict=analysis.verdict)
    subtitle = fig.layout.title.subtitle.text
    assert subtitle.startswith("Transferred from the marathon model") and "5-41 km" in subtitle
    band, line = fig.data
    assert band.fill == "toself" and 0 <= np.nanmin(line.y) <= np.nanmax(line.y) <= 100
    box = fig.layout.annotations[0].text
    assert (
        box.replace("<b>", "")
        .replace("</b>", "")
        .replace("<br>", " ")
        .startswith(analysis.verdict.split(". ")[0])
    )
    alone = fatigue_risk.risk_figure(risk, final_mile=analysis.final_mile).layout.annotations
    assert f"({analysis.final_mile.outcome})" in alone[0].text  # no verdict: the outcome
    assert all(len(x.replace("<b>", "").replace("</b>", "")) <= 40 for x in box.split("<br>"))
    calibrated = replace(risk, calibration="calibrated: split-time model", notes=[])
    assert not fatigue_risk.risk_figure(calibrated).layout.title.subtitle.text


def test_empty_risk_says_why(analysis) -> None:
    empty = replace(
        analysis.risk, table=analysis.risk.table.iloc[:0], notes=["the run does not reach 5 km"]
    )
    fig = fatigue_risk.risk_figure(empty)
    assert fig.layout.meta["available"] is False
    assert "does not reach 5 km" in fig.layout.annotations[0].text.replace("<br>", " ")


def test_fatigue_figure_heatmap_assumed_and_onset(analysis) -> None:
    state = replace(analysis.fatigue, onset_km=30.0, assumed=frozenset({"glycogen"}))
    fig = fatigue_risk.fatigue_figure(state, unit="mile")
    heat = next(t for t in fig.data if t.type == "heatmap")
    assert "glycogen<br>(assumed)" in list(heat.y) and "pace fade" in list(heat.y)
    assert heat.zmin == 0 and heat.zmax == 1
    assert any("18.6 mi" in (a.text or "") for a in fig.layout.annotations)
    assert fatigue_risk.fatigue_figure(None).layout.meta["available"] is False


def test_route_figure_equal_aspect_and_no_gps() -> None:
    fig = route.route_figure(synthetic_track(), "km")
    assert fig.layout.yaxis.scaleanchor == "x"
    points = fig.data[1]
    assert len(points.x) <= 500
    # the loop spans ~0.14 deg of longitude at 45 N: about 11 km east
    assert np.nanmax(points.x) == pytest.approx(0.14 * 111.32 * np.cos(np.deg2rad(44.95)), rel=0.05)
    assert "min/km" in points.marker.colorbar.title.text
    assert route.route_figure(synthetic_track(gps=False)).layout.meta["available"] is False


@pytest.mark.parametrize("unit", ["km", "mile"])
def test_every_hover_label_has_a_unit(analysis, unit: str) -> None:
    u = "km" if unit == "km" else "mi"
    units = (u, "bpm", "steps/min", "m per beat", "%", " m", " ft", "(0 fresh")
    for key, fig in race_figures(analysis, unit).items():
        for trace in fig.data:
            template = trace.hovertemplate
            if template:
                assert any(x in template for x in units), (key, trace.name, template)
        header = fig.layout.xaxis.unifiedhovertitle.text
        if (fig.layout.hovermode or "x unified") == "x unified" and key != "route":
            assert header and u in header, (key, header)


def test_figures_use_only_the_bundled_trace_types(analysis) -> None:
    """The page's plotly.js bundle has scatter, bar and heatmap: nothing else may be drawn."""
    for unit in ("km", "mile"):
        for key, fig in race_figures(analysis, unit).items():
            assert {t.type for t in fig.data} <= {"scatter", "bar", "heatmap"}, key


def test_bad_unit_is_refused() -> None:
    with pytest.raises(ValueError, match="unit"):
        pace.pace_elevation_figure(synthetic_track(), "furlong")  # type: ignore[arg-type]


def test_viz_holds_no_domain_rule() -> None:
    """The race's rules (reference window, walking speed, failure verdict) live in the analysis;
    viz only imports the failure-line ratio and the drift threshold to draw them."""
    import re
    from pathlib import Path

    import finishline.viz as viz_package

    banned = ("REFERENCE_START_M", "REFERENCE_END_M", "WALK_SPEED_MPS", "STOP_SPEED_MPS", "_first(")
    for path in Path(viz_package.__file__).parent.glob("*.py"):
        code = path.read_text(encoding="utf-8")
        for name in banned:
            assert not re.search(rf"\b{re.escape(name)}", code), (path.name, name)
