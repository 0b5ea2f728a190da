"""The plausibility boundary (finishline.io.plausibility, finishline.io.clock_gaps,
finishline.io.record_order) and the bounded work downstream of it (elevation binning, summary
timer, the 1 Hz grid)."""

from __future__ import annotations

import time
import warnings

import numpy as np
import pandas as pd
import pytest
from corpus import corpus_files, corpus_path
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from finishline import read
from finishline.activity import Activity, ActivityMeta, conform, make_activity
from finishline.clean import clean
from finishline.definitions import HR_RANGE_BPM, MAX_ACTIVITY_SPAN_S
from finishline.elevation import MAX_PROFILE_BINS, altitude_profile
from finishline.errors import AnalysisError, CorruptFileError, EmptyActivityError
from finishline.io.clock_gaps import human_duration, repair_clock
from finishline.io.plausibility import (
    ImplausibleDataWarning,
    mask_values,
    repair_distance,
)
from finishline.summary import summarize, timer_seconds

T0 = pd.Timestamp("2024-10-06T08:00:00Z")


def _activity(t_s, **columns) -> Activity:
    index = pd.DatetimeIndex(T0 + pd.to_timedelta(np.asarray(t_s, float), unit="s"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ImplausibleDataWarning)
        return make_activity(pd.DataFrame(columns, index=index), ActivityMeta(format="fit"))


# --- values ---------------------------------------------------------------------------------


def test_out_of_range_values_are_masked_with_one_sentence_per_kind():
    cols = {
        "heart_rate_bpm": np.array([0.0, 24.9, 25.0, 140.0, 250.0, 251.0, np.inf, np.nan]),
        "altitude_m": np.array([-501.0, 0.0, 8848.0, 9001.0, 1e308, 5.0, 5.0, 5.0]),
        "lat_deg": np.array([45.0, 91.0, -90.0, 45.0, 45.0, np.nan, 45.0, 45.0]),
        "lon_deg": np.array([7.0, 7.0, 180.0, -181.0, 7.0, 7.0, np.nan, 7.0]),
    }
    given_hr = cols["heart_rate_bpm"]
    original = given_hr.copy()
    notes: list[str] = []
    changed = mask_values(cols, notes)
    np.testing.assert_array_equal(given_hr, original)  # the caller's arrays are not written
    assert changed == {"heart_rate_bpm", "altitude_m", "lat_deg", "lon_deg"}
    hr = cols["heart_rate_bpm"]
    assert np.isnan(hr[[0, 1, 5, 6, 7]]).all() and hr[[2, 3, 4]].tolist() == [25.0, 140.0, 250.0]
    assert "4 heart-rate values outside 25-250 bpm were removed" in notes
    assert "3 altitude values outside -500 to 9,000 m were removed" in notes
    # 91 deg, -181 deg, and half positions (one coordinate missing) lose both coordinates
    bad = [1, 3, 5, 6]
    assert np.isnan(cols["lat_deg"][bad]).all() and np.isnan(cols["lon_deg"][bad]).all()
    assert cols["lat_deg"][2] == -90.0 and cols["lon_deg"][2] == 180.0
    assert any(n.startswith("4 positions outside latitude") for n in notes)


def test_make_activity_warns_and_records_the_sentence():
    index = pd.DatetimeIndex(T0 + pd.to_timedelta(np.arange(5), unit="s"))
    samples = pd.DataFrame({"heart_rate_bpm": [140, 1e308, 141, 0, 142]}, index=index)
    meta = ActivityMeta(source_path="x.fit", format="fit")
    with pytest.warns(ImplausibleDataWarning, match="x.fit: 2 heart-rate values outside"):
        act = make_activity(samples, meta)
    assert meta.warnings == ["2 heart-rate values outside 25-250 bpm were removed"]
    assert act.samples["heart_rate_bpm"].isna().tolist() == [False, True, False, True, False]


def test_clean_files_pass_unchanged():
    t = np.arange(100) * 2.0
    act = _activity(t, distance_m=t * 3.0, heart_rate_bpm=np.full(100, 150.0))
    assert act.meta.warnings == []
    np.testing.assert_array_equal(act.samples["distance_m"], t * 3.0)


# --- distance -------------------------------------------------------------------------------


def test_distance_restart_is_continued_and_jitter_held():
    t = np.arange(12.0) * 60
    # GPS jitter at 3 (half a metre back), a restart from zero at 6 (a new leg)
    d = np.array([0, 150, 300, 299.5, 450, 600, 0, 150, 300, 450, 600, 750], float)
    notes: list[str] = []
    out = repair_distance(d, t, notes)
    assert np.all(np.diff(out) >= 0)
    assert out[-1] == pytest.approx(600 + 750)
    assert out[3] == 300.0  # the small step back is held
    assert notes == [
        "distance went backwards at 2 records; made monotone (1 restart of more than 100 m "
        "continued, 1 small step back held)"
    ]


def test_distance_spike_and_impossible_jump():
    t = np.arange(10.0)
    d = np.arange(10.0) * 3
    d[4] = 5e6  # one value far off, its neighbours agree
    notes: list[str] = []
    out = repair_distance(d, t, notes)
    assert np.isnan(out[4]) and np.nanmax(out) == 27.0
    d = np.arange(10.0) * 3
    d[5:] += 1e6  # a lasting jump of 1,000 km in a second
    out = repair_distance(d, t, notes)
    assert out[-1] == pytest.approx(27.0 - 3.0)
    assert any("distance jump faster than 100 m/s removed" in n for n in notes)


# --- time -----------------------------------------------------------------------------------


def test_human_duration():
    assert human_duration(365 * 86_400) == "365 days"
    assert human_duration(3 * 3600) == "3 hours"
    assert human_duration(3600) == "60 min"
    assert human_duration(42) == "42 s"


def test_events_and_laps_move_with_the_records_clock():
    t = np.arange(400) * 2.0
    d = np.arange(400) * 6.0
    t[200:] += 86_400.0
    index = pd.DatetimeIndex(T0 + pd.to_timedelta(t, unit="s"))
    events = pd.DataFrame(
        {
            "timestamp": [index[0], index[300], index[-1]],
            "event": ["timer"] * 3,
            "event_type": ["start", "marker", "stop_all"],
        }
    )
    laps = pd.DataFrame({"start_time": [index[0], index[200]]})
    meta = ActivityMeta(format="fit")
    with pytest.warns(ImplausibleDataWarning, match="jumped forward 24 hours at 1.2 km"):
        act = make_activity(pd.DataFrame({"distance_m": d}, index=index), meta, laps, None, events)
    s = act.samples
    assert s["elapsed_s"].iloc[-1] == pytest.approx(798.0)
    assert act.events["timestamp"].iloc[-1] == s.index[-1]
    assert act.events["timestamp"].iloc[1] == s.index[300]
    assert act.laps["start_time"].iloc[1] == s.index[200]
    assert timer_seconds(act) == pytest.approx(798.0)


def test_a_jump_at_a_standstill_is_a_pause_and_the_span_rule_splits_it():
    # the runner stood still when the clock jumped two days: no motion tells it is a jump
    t = np.r_[np.arange(300) * 2.0, 2 * 86_400.0 + np.arange(100) * 2.0]
    d = np.r_[np.arange(300) * 6.0, np.full(100, 299 * 6.0)]
    meta = ActivityMeta(format="tcx")
    index = pd.DatetimeIndex(T0 + pd.to_timedelta(t, unit="s"))
    with pytest.warns(ImplausibleDataWarning, match="2 parts with gaps of 48 hours or more"):
        act = make_activity(pd.DataFrame({"distance_m": d}, index=index), meta)
    assert len(act.samples) == 300


def _two_runs_days_apart(first_record_after_start_s: float):
    """Two runs 3 days apart, the reader's distance going on across (as TCX activities read as
    sessions of one Activity): moving on both sides, like a clock jump inside one run."""
    t = np.r_[np.arange(300) * 2.0, 3 * 86_400.0 + np.arange(300) * 2.0]
    d = np.arange(600) * 6.0
    index = pd.DatetimeIndex(T0 + pd.to_timedelta(t, unit="s"))
    starts = [index[0], index[300] - pd.Timedelta(seconds=first_record_after_start_s)]
    sessions = pd.DataFrame({"start_time": starts, "sport": ["running", "running"]})
    return pd.DataFrame({"distance_m": d}, index=index), sessions


@pytest.mark.parametrize("after_start_s", [4.0, 0.0, -30.0])
def test_sessions_the_reader_made_days_apart_are_kept_as_they_are(after_start_s):
    samples, sessions = _two_runs_days_apart(after_start_s)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ImplausibleDataWarning)
        act = make_activity(samples, ActivityMeta(format="tcx"), None, sessions)
    assert act.samples.index.equals(samples.index)
    assert act.meta.warnings == []
    assert len(act.sessions) == 2
    # one session: the same records are one run whose clock jumped, closed
    with pytest.warns(ImplausibleDataWarning, match="jumped forward 3 days"):
        single = make_activity(samples, ActivityMeta(format="tcx"))
    assert single.samples["elapsed_s"].iloc[-1] < 3600


def test_a_gap_inside_a_session_is_still_split_off():
    samples, sessions = _two_runs_days_apart(4.0)
    # the second run's watch also holds 100 records two days later, standing still
    later = pd.DatetimeIndex(
        samples.index[-1] + pd.to_timedelta(2 * 86_400.0 + np.arange(100) * 2.0, unit="s")
    )
    extra = pd.DataFrame({"distance_m": np.full(100, samples["distance_m"].iloc[-1])}, index=later)
    with pytest.warns(ImplausibleDataWarning, match="2 parts with gaps of 2 days or more"):
        act = make_activity(pd.concat([samples, extra]), ActivityMeta(format="tcx"), None, sessions)
    assert act.samples.index.equals(samples.index)


def test_a_recording_made_only_of_long_gaps_warns_nothing_foreign():
    # three records an hour apart (a damaged FIT file's): no short step tells the runner's
    # speed or sampling interval, and numpy must not warn about empty means
    t = (T0.value + np.arange(3) * 3600e9).astype(np.int64)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        repair = repair_clock(t, np.array([0.0, 50.0, 100.0]), None, None, {})
    assert (repair.t_ns == t).all()


def test_span_over_a_week_without_day_gaps_is_refused():
    t = np.arange(200) * 4 * 3600.0  # 33 days, a record every 4 hours
    with pytest.raises(CorruptFileError, match="longer than any activity"):
        repair_clock((T0.value + t * 1e9).astype(np.int64), np.full(200, np.nan), None, None, {})


@st.composite
def broken_clocks(draw):
    """A run at 1-5 s sampling whose clock is broken in up to three places."""
    n = draw(st.integers(20, 300))
    interval = draw(st.sampled_from([1.0, 2.0, 5.0]))
    t = np.arange(n) * interval
    d = np.arange(n) * interval * draw(st.floats(1.5, 6.0))
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from(["jump", "back", "stray", "swap"]))
        at = draw(st.integers(1, n - 1))
        size = draw(st.sampled_from([3600.0, 86_400.0, 365 * 86_400.0, 30 * 365.25 * 86_400.0]))
        if kind == "jump":
            t[at:] += size
        elif kind == "back":
            t[at:] -= size
        elif kind == "stray":
            t[at] += size * draw(st.sampled_from([1, -1]))
        else:
            j = draw(st.integers(0, n - 1))
            t[[at, j]] = t[[j, at]]
    return t, d


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(broken_clocks())
def test_any_broken_clock_gives_a_bounded_increasing_timeline(case):
    t, d = case
    index = pd.DatetimeIndex(T0 + pd.to_timedelta(t, unit="s"))
    samples = pd.DataFrame({"distance_m": d, "heart_rate_bpm": 150.0}, index=index)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ImplausibleDataWarning)
        try:
            act = make_activity(samples, ActivityMeta(format="fit"))
        except CorruptFileError:
            return
    s = act.samples
    span = s["elapsed_s"].iloc[-1]
    assert s.index.is_monotonic_increasing and not s.index.has_duplicates
    assert 0 <= span <= MAX_ACTIVITY_SPAN_S
    assert (np.diff(s["distance_m"].dropna()) >= 0).all()
    assert len(s) >= 1


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=1, max_size=60),
    st.sampled_from(["heart_rate_bpm", "altitude_m", "speed_mps", "cadence_spm", "power_w"]),
)
def test_no_value_out_of_range_survives(values, column):
    n = len(values)
    act = _activity(np.arange(n) * 1.0, **{column: values, "distance_m": np.arange(n) * 3.0})
    x = act.samples[column].dropna()
    bounds = {
        "heart_rate_bpm": HR_RANGE_BPM,
        "altitude_m": (-500, 9000),
        "speed_mps": (0, 100),
        "cadence_spm": (0, 300),
        "power_w": (0, 3000),
    }[column]
    assert x.between(*bounds).all()


# --- bounded work downstream ----------------------------------------------------------------


def test_elevation_profile_is_order_free_and_bounded_by_samples():
    rng = np.random.default_rng(0)
    d = np.arange(500) * 3.0
    z = 100 + np.sin(d / 300.0) * 20
    t = np.arange(500) * 1.0
    grid, profile, _ = altitude_profile(d, z, t)
    order = rng.permutation(500)
    grid2, profile2, _ = altitude_profile(d[order], z[order], t[order])
    np.testing.assert_allclose(grid2, grid)
    np.testing.assert_allclose(profile2, profile)
    d_huge = d.copy()
    d_huge[-1] = 1e307
    start = time.perf_counter()
    grid3, profile3, _ = altitude_profile(d_huge, z, t)
    assert grid3.size <= MAX_PROFILE_BINS and time.perf_counter() - start < 5
    assert np.isfinite(profile3).all()
    assert altitude_profile(np.r_[0.0, 1e308, -1e308], np.ones(3), np.arange(3.0))[0].size == 0


def test_summary_on_out_of_order_samples_does_not_crash():
    # an Activity built by hand (no reader boundary): samples out of distance order
    index = pd.DatetimeIndex(T0 + pd.to_timedelta(np.arange(50.0), unit="s"))
    samples = conform(
        pd.DataFrame(
            {
                "distance_m": np.r_[np.arange(25) * 3.0, np.arange(25) * 3.0 + 10][::-1],
                "altitude_m": 100.0 + np.arange(50) % 7,
                "elapsed_s": np.arange(50.0),
            },
            index=index,
        ),
        "samples",
    )
    empty = {k: conform(None, k) for k in ("laps", "sessions", "events")}
    act = Activity(samples=samples, meta=ActivityMeta(format="fit"), **empty)
    out = summarize(act)
    # the summary's distance is the analysis track's (one distance per file): a device counter
    # that only runs down covers nothing there; never more than the counter's range
    from finishline.summary import analysed_distance_and_moving

    analysed = analysed_distance_and_moving(act)
    assert analysed is not None and out["distance_m"] == pytest.approx(analysed[0])
    assert 0.0 <= out["distance_m"] <= 82.0 and out["ascent_m"] >= 0


def test_summary_passes_over_an_impossible_device_timer():
    act = _activity(np.arange(100) * 2.0, distance_m=np.arange(100) * 6.0)
    act.sessions = pd.DataFrame({"timer_s": [1e12]})
    assert timer_seconds(act) == pytest.approx(198.0)
    act.sessions = pd.DataFrame({"timer_s": [-5.0]})
    assert timer_seconds(act) == pytest.approx(198.0)
    act.sessions = pd.DataFrame({"timer_s": [150.0]})
    assert timer_seconds(act) == 150.0


def test_clean_refuses_a_span_of_weeks_before_allocating():
    # built by hand, past the reader boundary: clean must not build a 1 Hz grid over 30 days
    index = pd.DatetimeIndex([T0, T0 + pd.Timedelta(days=30)])
    samples = conform(pd.DataFrame({"distance_m": [0.0, 10.0]}, index=index), "samples")
    samples["elapsed_s"] = [0.0, 30 * 86_400.0]
    empty = {k: conform(None, k) for k in ("laps", "sessions", "events")}
    act = Activity(samples=samples, meta=ActivityMeta(format="gpx"), **empty)
    start = time.perf_counter()
    with pytest.raises(AnalysisError, match="30.0 days, longer than any activity"):
        clean(act)
    assert time.perf_counter() - start < 1


# --- real files -----------------------------------------------------------------------------


@pytest.mark.real
@pytest.mark.parametrize("name", corpus_files())
def test_real_files_keep_their_clock(name):
    """No real corpus file is taken for a broken clock: no jump, reorder, set-back or split."""
    path = corpus_path(name)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            act = read(path)
        except Exception:  # unreadable files are the readers' tests' business
            return
    notes = [str(w.message) for w in caught if issubclass(w.category, ImplausibleDataWarning)]
    clock = ("clock", "out of order", "parts with gaps", "discarded")
    assert not [n for n in notes if any(word in n for word in clock)], notes
    if not act.meta.is_course and len(act.samples) > 1:
        assert act.samples["elapsed_s"].iloc[-1] <= MAX_ACTIVITY_SPAN_S


def test_a_sparse_recording_over_days_is_no_activity():
    t = np.arange(100) * (6.5 * 86_400 / 99)  # 100 samples over 6.5 days, one every 1.6 h
    with pytest.raises(EmptyActivityError, match="100 samples over 6.5 days, fewer than one"):
        repair_clock((T0.value + t * 1e9).astype(np.int64), np.full(100, np.nan), None, None, {})


def test_clean_grid_is_bounded_by_the_samples():
    # built by hand, past the reader boundary: 40 samples over 2 days need no 172,800-row grid
    t = np.linspace(0, 2 * 86_400.0, 40)
    index = pd.DatetimeIndex(T0 + pd.to_timedelta(t, unit="s"))
    samples = conform(pd.DataFrame({"distance_m": t * 0.01}, index=index), "samples")
    samples["elapsed_s"] = t
    empty = {k: conform(None, k) for k in ("laps", "sessions", "events")}
    act = Activity(samples=samples, meta=ActivityMeta(format="gpx"), **empty)
    with pytest.raises(AnalysisError, match="40 samples over 48 hours are too sparse"):
        clean(act)


def test_many_distance_drops_ask_once_whether_the_clock_was_set_back(monkeypatch):
    """A file whose device distance drops at thousands of records (a fuzzed FIT took 19 s)
    asks once whether its last record leads on to its first, not once per drop."""
    from finishline.io import clock_gaps

    n = 20_000
    t = (np.arange(n, dtype=np.int64) + 1_700_000_000) * 1_000_000_000
    d = np.arange(n, dtype=float) * 3.0
    d[1::10] -= 500.0  # a drop of 500 m (more than a restart) at every tenth record
    calls = []
    real = clock_gaps._continues

    def counted(*args, **kwargs):
        calls.append(kwargs.get("pause", True))
        return real(*args, **kwargs)

    monkeypatch.setattr(clock_gaps, "_continues", counted)
    rows, t_out = clock_gaps._set_back(np.arange(n), t, d, None, None, [])
    assert calls.count(False) == 1  # the wrap-around question, asked once
    np.testing.assert_array_equal(rows, np.arange(n))  # no set-back found: order kept
    np.testing.assert_array_equal(t_out, t)
