"""Where a recording stops being one race (finishline.breaks), where the race lies in it
(finishline.race_bounds: warm-up, walk-off, walk-in, cool-down), and what the time-based models
judge: synthetic tracks for the rules, and a real file holding several outings hours apart."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from corpus import CORPUS, require_shared

from finishline.breaks import (
    JUMP_TOLERANCE_M,
    LONG_PAUSE_S,
    SET_OFF_M,
    START_WAIT_S,
    first_break,
    judged_part,
    race_start,
)
from finishline.race_bounds import (
    FINISH_STOP_S,
    FINISHED_SPEED_MPS,
    JOG_SPEED_SHARE,
    cool_down,
    finish,
    from_set_off,
    race_end,
    warm_up,
)


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


def test_the_race_starts_at_the_last_second_of_a_wait_in_the_pen():
    assert race_start(_track()) == 0  # the watch started with the run
    for seconds in (START_WAIT_S, 1200, LONG_PAUSE_S + 600):  # paused or still, 1-40 min
        for column in ("paused", "in_gap"):
            track = _stop(_track(8000 + seconds), 0, seconds, column)
            assert race_start(track) == seconds - 1, (seconds, column)
    walked = _stop(_track(9000), 30, 1200)  # 90 m to the pen, then a 20 min wait
    assert race_start(walked) == 1229


@pytest.mark.parametrize(
    ("start", "seconds", "why"),
    [
        (0, START_WAIT_S - 1, "under a minute standing is the race's own start"),
        (200, 1200, "a wait after a 600 m warm-up cannot be told from a stop in the race"),
    ],
)
def test_waits_that_are_not_before_the_start(start, seconds, why):
    track = _stop(_track(8000 + seconds), start, seconds)
    assert start * 3.0 > SET_OFF_M or seconds < START_WAIT_S
    assert race_start(track) == 0, why


def test_a_track_that_never_sets_off_starts_at_its_start():
    track = _track(3000, step_m=0.05)  # 150 m in all, with a 10 min stop
    track.loc[100:699, ["paused", "moving"]] = [True, False]
    assert track["distance_m"].max() < SET_OFF_M and race_start(track) == 0


def _jump(track: pd.DataFrame, start: int, seconds: int, metres: float) -> pd.DataFrame:
    out = track.copy()
    out.loc[start : start + seconds - 1, "in_gap"] = True
    out.loc[start : start + seconds - 1, "moving"] = False
    step = np.minimum(np.arange(len(out) - start) + 1, seconds) * (metres / seconds)
    out.loc[start:, "distance_m"] += step - np.minimum(np.arange(len(out) - start) + 1, seconds) * 3
    return out


def test_a_first_fix_off_the_start_is_no_break():
    track = _jump(_track(), 9, 6, 68.0)  # 68 m in 6 s at the start: a GPS glitch
    assert first_break(track) is None and judged_part(track)[1] is None


def test_jumps_past_the_tolerance_cut_the_risk_but_not_the_fatigue():
    one = _jump(_track(), 4000, 40, 300.0)  # 300 m across a 40 s gap
    assert first_break(one) == 4000 and judged_part(one)[1] is None
    # three jumps of 40 m each: the third takes the jumped distance past 100 m
    many = _jump(_jump(_jump(_track(), 1000, 5, 40.0), 2000, 5, 40.0), 3000, 5, 40.0)
    assert JUMP_TOLERANCE_M == 100.0 and first_break(many) == 3000


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
    from finishline.viz.heart import heart_rate_figure

    fig = heart_rate_figure(
        result.track, decoupling=result.decoupling, efficiency=result.fatigue.per_km
    )
    assert f"end at {expected_m / 1000:.1f} km" in fig.layout.title.subtitle.text
    drawn = [t for t in fig.data if t.name in ("efficiency", "decoupling")]
    assert len(drawn) == 2 and all(np.nanmax(t.x) <= expected_m / 1000 + 1e-3 for t in drawn)


def _largest_raw_jump_m(path) -> float:
    """The longest step between consecutive recorded points (great-circle, m) across a gap of
    more than 3 s, from the file's own positions."""
    from finishline.io import read

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        raw = read(path).samples.dropna(subset=["lat_deg", "lon_deg"])
    lat, lon = np.radians(raw["lat_deg"].to_numpy()), np.radians(raw["lon_deg"].to_numpy())
    a = (
        np.sin(np.diff(lat) / 2) ** 2
        + np.cos(lat[:-1]) * np.cos(lat[1:]) * np.sin(np.diff(lon) / 2) ** 2
    )
    step = 2 * 6_371_000.0 * np.arcsin(np.sqrt(a))
    gap = np.diff(raw.index.as_unit("ns").asi8) > 3e9
    i = int(np.argmax(np.where(gap, step, -1.0)))
    return float(step[i])


@pytest.mark.real
@pytest.mark.parametrize(
    ("name", "cut"),
    [
        ("runpandas__session_7318ef76__nosport_7.7km.gpx", False),  # 68 m off at the start
        ("gpxpy__cerknicko-jezero__nosport_4.6km.gpx", True),  # 310 m across a gap at 6.7 km
    ],
)
def test_a_jump_ends_the_risk_timeline_only_past_the_tolerance(name, cut):
    from finishline.analysis import analyze

    path = require_shared(CORPUS / "gpx" / name)
    jump_m = _largest_raw_jump_m(path)
    assert (jump_m > JUMP_TOLERANCE_M) == cut
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = analyze(path)
    notes = " ".join(result.risk.notes)
    assert ("no risk from" in notes) == cut
    assert not result.risk.empty  # both runs reach 5 km before any break


def test_a_wait_in_the_pen_does_not_make_a_short_race_long_for_the_max_hr_rule():
    """The >= 90 min max-HR rule reads the run's own time, from where the runner set off."""
    from finishline.athlete import race_max_hr_bpm

    def with_hr(track: pd.DataFrame) -> pd.DataFrame:
        n = len(track)
        return track.assign(
            elapsed_s=np.arange(n, dtype=float), heart_rate_bpm=140 + np.arange(n) % 30
        )

    waited = with_hr(_stop(_track(3600 + 2400), 0, 2400))  # 40 min in the pen, a 60 min race
    assert race_start(waited) == 2399
    assert "0.88" not in race_max_hr_bpm(waited)[1]
    assert "0.88" in race_max_hr_bpm(with_hr(_track(6000)))[1]  # a 100 min run is long


def _running(n: int = 3000, speed: float = 3.0) -> pd.DataFrame:
    """A run at ``speed`` (m/s) with the columns :func:`race_end` reads."""
    return _track(n, speed).assign(
        speed_mps=speed, cadence_spm=170.0, elapsed_s=np.arange(n, dtype=float)
    )


def _then(track: pd.DataFrame, rows: slice, speed: float, cadence: float = 170.0) -> pd.DataFrame:
    out = track.copy()
    out.loc[rows, ["speed_mps", "cadence_spm"]] = [speed, cadence]
    out.loc[rows, "moving"] = speed >= 0.5
    return out


@pytest.mark.parametrize(
    ("speed", "kind"), [(0.0, "standing"), (1.2, "walking"), (1.45, "a brisk walk")]
)
def test_the_race_ends_with_the_last_going(speed, kind):
    tailed = _then(_running(), slice(2400, None), speed, 100.0)  # 10 min past the finish
    assert race_end(tailed) == 2401, kind  # the row that closes the last second going
    assert race_end(_running()) == 3000  # a file that ends going is the race


@pytest.mark.parametrize(
    ("speed", "cadence"), [(1.8, 150.0), (2.6, 120.0), (FINISHED_SPEED_MPS, 0.0)]
)
def test_a_slow_finish_is_still_the_race(speed, cadence):
    """A shuffle home at 1.8 m/s, or a jog at a cadence under 140, is racing, not a walk-off."""
    assert race_end(_then(_running(), slice(2400, None), speed, cadence)) == 3000


def test_a_hike_up_to_a_summit_finish_is_still_the_race():
    """1.0 m/s up a 25 % grade is racing effort (grade-adjusted), 1.0 m/s on the flat is not."""
    hike = _then(_running(), slice(2400, None), 1.0, 100.0)
    assert race_end(hike.assign(gap_speed_mps=np.where(hike.index >= 2400, 2.4, 3.0))) == 3000
    assert race_end(hike.assign(gap_speed_mps=hike["speed_mps"])) == 2401


def test_a_walk_inside_the_race_and_a_few_fast_seconds_at_the_end():
    walked = _then(_running(), slice(1000, 1300), 1.2, 110.0)  # a walk break, then running
    assert race_end(walked) == 3000
    blip = _then(_then(_running(), slice(2400, None), 0.0, 0.0), slice(2700, 2705), 3.0)
    assert race_end(blip) == 2401  # 5 s of GPS "running" while standing is no running
    assert race_end(_then(_running(), slice(None), 0.0, 0.0)) == 3000  # no going at all
    assert race_end(_track()) == 8000  # without speed: the whole track


def _legs(*legs: tuple[int, float]) -> pd.DataFrame:
    """A 1 Hz track of ``(seconds, speed m/s)`` legs, a speed of 0 standing still."""
    speed = np.concatenate([np.full(n, v, float) for n, v in legs])
    n = speed.size
    return pd.DataFrame(
        {
            "distance_m": np.cumsum(speed),
            "speed_mps": speed,
            "moving": speed >= 0.5,
            "in_gap": np.zeros(n, bool),
            "paused": np.zeros(n, bool),
            "elapsed_s": np.arange(n, dtype=float),
        }
    )


def test_a_cool_down_after_a_5_km_race_is_not_the_race():
    """5 km at 4.0 m/s, 2 min in the finish area, 2.4 km jogged at 2.8 m/s (0.70)."""
    track = _legs((1250, 4.0), (120, 0.0), (857, 2.8))
    cool = cool_down(track)
    assert cool is not None
    assert (cool.stop_row, cool.race_m, cool.stop_s) == (1250, 5000.0, 120.0)
    dist = track["distance_m"]
    assert cool.finish_m == dist[1250] - dist[0] and cool.distance_m == dist.iloc[-1] - dist[1370]
    assert cool.speed_share == pytest.approx(0.7, rel=1e-3)  # the first second gains no distance
    assert finish(track) == (1250, cool, False) and race_end(track) == 1250
    walked = _legs((1250, 4.0), (120, 1.2), (857, 2.8))  # walking through the finish area
    assert race_end(walked) == 1250 and cool_down(walked).stop_s == 120.0


@pytest.mark.parametrize(
    ("legs", "why"),
    [
        (((1250, 4.0), (120, 0.0), (857, 3.6)), "jogged at 0.9 of the race's speed"),
        (((1200, 4.0), (120, 0.0), (857, 2.8)), "stopped at 4.8 km, short of 5 km"),
        (((1250, 4.0), (FINISH_STOP_S - 1, 0.0), (857, 2.8)), "a stop under a minute"),
        (((1250, 4.0), (120, 0.0), (300, 2.8)), "840 m after it: under 1 km"),
        (((1250, 4.0), (120, 0.0), (4000, 2.8)), "11.2 km after it: a second run"),
        (((1600, 4.0), (120, 0.0), (857, 2.8)), "stopped at 6.4 km: no race distance"),
        (((1250, 4.0), (120, 0.0)), "the stop ends the file: a walk-off"),
    ],
)
def test_no_cool_down(legs, why):
    track = _legs(*legs)
    assert cool_down(track) is None, why
    assert finish(track).cool is None


def test_a_given_race_distance_decides_the_cool_down():
    """A 50 km ultra's aid station just past the marathon distance is no finish once the
    distance is given; a cool-down jogged at the race's speed is cut once it is."""
    ultra = _legs((14065, 3.0), (300, 0.0), (2600, 2.3))  # 42.2 km, 5 min, 6.0 km at 0.77
    assert cool_down(ultra).race_m == 42195.0
    assert cool_down(ultra, race_distance_m=50_000.0) is None
    assert race_end(ultra, 50_000.0) == len(ultra)
    at_race_pace = _legs((14065, 3.0), (300, 0.0), (700, 3.0))  # 2.1 km at the race's speed
    assert 1.0 > JOG_SPEED_SHARE and cool_down(at_race_pace) is None
    assert cool_down(at_race_pace, race_distance_m=42_195.0).stop_row == 14065


def test_a_warm_up_and_a_wait_before_a_5_km_race_are_not_the_race():
    """2 km jogged at 2.8 m/s (0.70), 5 min in the pen, 5 km at 4.0 m/s."""
    track = _legs((715, 2.8), (300, 0.0), (1250, 4.0))
    warm = warm_up(track)
    assert warm is not None
    assert (warm.set_off_row, warm.race_m, warm.wait_s, warm.set_off_s) == (
        1014,
        5000.0,
        299.0,
        1014.0,
    )
    assert warm.distance_m == pytest.approx(714 * 2.8) and warm.set_off_m == warm.distance_m
    assert warm.speed_share == pytest.approx(0.7, rel=2e-3)  # the first second gains no distance
    race = from_set_off(track, warm.set_off_row)
    assert race["distance_m"].iloc[0] == 0.0 and race["elapsed_s"].iloc[0] == 0.0
    assert race["distance_m"].iloc[-1] == pytest.approx(5000.0) and len(race) == 1251
    assert race_start(race) == 0 and race_end(race) == len(race)
    strides = _legs((715, 2.8), (120, 0.0), (100, 4.0), (300, 0.0), (1250, 4.0))
    assert warm_up(strides).set_off_row == 715 + 120 + 100 + 299  # the last wait before it
    both = _legs((715, 2.8), (300, 0.0), (1250, 4.0), (120, 0.0), (857, 2.8))  # and a cool-down
    assert warm_up(both).set_off_row == 1014
    assert cool_down(from_set_off(both, 1014)).stop_row == 1251


@pytest.mark.parametrize(
    ("legs", "why"),
    [
        (((715, 3.6), (300, 0.0), (1250, 4.0)), "jogged at 0.9 of the race's speed"),
        (((250, 2.8), (300, 0.0), (1250, 4.0)), "700 m before it: under 1 km"),
        (((715, 2.8), (300, 0.0), (1500, 4.0)), "6 km after it: no race distance"),
        (((400, 3.2), (120, 0.0), (2125, 4.0)), "a stop at 1.3 km of a 9.8 km 10 km race"),
        (((715, 2.8), (300, 0.0)), "the wait ends the file"),
    ],
)
def test_no_warm_up(legs, why):
    assert warm_up(_legs(*legs)) is None, why


def test_a_race_holds_no_break():
    """Two outings in one file (a 30 min pause between them) are no warm-up and race."""
    track = _legs((715, 2.8), (300, 0.0), (600, 4.0), (LONG_PAUSE_S, 0.0), (650, 4.0))
    assert warm_up(track) is not None  # standing with the watch running: one outing
    track.loc[1615 : 1615 + LONG_PAUSE_S - 1, "paused"] = True
    assert warm_up(track) is None


def test_a_given_race_distance_decides_the_warm_up():
    """A warm-up jogged at the race's speed is cut once the race's distance is given."""
    track = _legs((715, 4.0), (300, 0.0), (1250, 4.0))
    assert warm_up(track) is None
    assert warm_up(track, race_distance_m=5000.0).set_off_row == 1014
    assert warm_up(track, race_distance_m=10_000.0) is None


def test_a_runner_who_walked_in_ends_the_race_at_the_race_distance():
    """4.6 km running, then walking: the walk to 5 km is the race's end, not after it."""
    past = _legs((1150, 4.0), (500, 1.3))  # walked on 250 m past the line, the watch running
    end = finish(past)
    covered = past["distance_m"] - past["distance_m"][0]
    assert end.walked_in and end.cool is None
    assert covered[end.rows - 1] >= 5000.0 > covered[end.rows - 2]
    stopped = _legs((1150, 4.0), (311, 1.3))  # the watch stopped on the line
    assert finish(stopped) == (len(stopped), None, True)
    # a walk from 5.0 km is after the finish, as is one without a race distance ahead (from
    # 9.0 km), or one that comes short of it (the watch stopped at 4.9 km)
    for legs in (((1251, 4.0), (60, 1.3)), ((2250, 4.0), (500, 1.3)), ((1150, 4.0), (200, 1.3))):
        end = finish(_legs(*legs))
        assert not end.walked_in and end.rows == legs[0][0] + 1, legs
    assert finish(past, race_distance_m=4800.0).walked_in is False  # given: 4.8 km, finished
    drift = _legs((1150, 4.0), (1200, 0.35))  # standing 20 min, the GPS drifting 420 m
    assert not finish(drift).walked_in and finish(drift).rows == 1151
