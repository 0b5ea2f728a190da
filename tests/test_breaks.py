"""Where a recording stops being one race (finishline.breaks) and what the time-based models
judge: synthetic tracks for the rules, and a real file holding several outings hours apart."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from corpus import CORPUS, require_shared

from finishline.breaks import LONG_PAUSE_S, first_break, judged_part


def _track(n: int = 8000, step_m: float = 3.0) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "distance_m": np.arange(n) * step_m,
            "moving": np.ones(n, bool),
            "in_gap": np.zeros(n, bool),
            "paused": np.zeros(n, bool),
        }
    )


def _stop(track: pd.DataFrame, start: int, seconds: int, column: str = "paused") -> pd.DataFrame:
    out = track.copy()
    out.loc[start : start + seconds - 1, column] = True
    out.loc[start : start + seconds - 1, "moving"] = False
    out.loc[start:, "distance_m"] = out["distance_m"].iloc[start]  # no distance while stopped
    out.loc[start + seconds :, "distance_m"] += 3.0 * np.arange(len(out) - start - seconds)
    return out


def test_one_race_is_judged_whole():
    track = _track()
    part, to_m = judged_part(track)
    assert to_m is None and part is track and first_break(track) is None


def test_a_long_stop_after_the_longest_stretch_ends_what_is_judged():
    track = _stop(_track(), 5000, LONG_PAUSE_S + 600)  # 15 km, then 40 min, then 3,000 s more
    part, to_m = judged_part(track)
    assert len(part) == 5000 and to_m == pytest.approx(track["distance_m"].iloc[4999])
    assert first_break(track) == 5000


def test_a_stop_inside_a_gap_is_a_stop_too():
    track = _stop(_track(8000 + 2 * LONG_PAUSE_S), 5000, 2 * LONG_PAUSE_S, column="in_gap")
    assert len(judged_part(track)[0]) == 5000


@pytest.mark.parametrize(
    ("start", "seconds", "why"),
    [
        (2000, LONG_PAUSE_S - 1, "a stop under 30 min is race time"),
        (1000, LONG_PAUSE_S + 60, "the longest stretch follows the stop: a wait at the start"),
        (7000, LONG_PAUSE_S + 999, "nothing is run after the stop: the watch left running"),
    ],
)
def test_stops_that_do_not_cut(start, seconds, why):
    track = _stop(_track(8000 + seconds), start, seconds)
    if start == 7000:
        track = track.iloc[: start + seconds]
    part, to_m = judged_part(track)
    assert to_m is None and len(part) == len(track), why


def test_a_short_jump_cuts_the_risk_but_not_the_fatigue():
    track = _track()
    track.loc[100:105, "in_gap"] = True
    track.loc[100:105, "moving"] = False  # 68 m in 6 s: a GPS glitch at the start
    assert first_break(track) == 100
    assert judged_part(track)[1] is None


@pytest.mark.real
def test_several_outings_in_one_file_are_judged_to_the_first_long_gap():
    """runpandas session 720bf570: a GPX of four outings over 24 h. The judged part ends at the
    last point recorded before the file's first gap of 30 min or more (found here from the
    raw points); the fatigue state and Pa:HR hold nothing from after it, and the verdict says
    where judging stopped."""
    from finishline.analysis import analyze
    from finishline.fatigue.state import fatigue_state
    from finishline.io import read

    path = require_shared(CORPUS / "gpx" / "runpandas__session_720bf570__nosport_21.8km.gpx")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        raw = read(path).samples
        result = analyze(path)
    ns = raw.index.as_unit("ns").asi8
    gap = int(np.argmax(np.diff(ns) >= LONG_PAUSE_S * 1e9))
    last_before = raw.index[gap]
    assert np.diff(ns).max() >= LONG_PAUSE_S * 1e9 and result.track.index[-1] > last_before
    upto = result.track.loc[:last_before]
    expected_m = float(upto["distance_m"].iloc[-1])
    assert result.fatigue.judged_to_m == pytest.approx(expected_m, abs=1.0)
    assert result.decoupling.judged_to_m == pytest.approx(expected_m, abs=1.0)
    assert result.decoupling.curve["distance_m"].max() <= expected_m + 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        alone = fatigue_state(upto, result.athlete, result.race)
    pd.testing.assert_frame_equal(result.fatigue.per_km, alone.per_km)
    assert f"only up to {expected_m / 1000:.0f} km" in result.verdict
    assert abs(result.decoupling.pa_hr) < 0.5  # was -184 % across the outings
