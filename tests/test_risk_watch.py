"""Risk on watch data: clock times at km marks, the physiological adjustment, the timeline."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import logit
from synthetic import MARATHON_M, fading_race, synthetic_track

from finishline.athlete import Athlete, for_race
from finishline.definitions import METRE_PER_MILE, detect_race
from finishline.fatigue import fatigue_state
from finishline.risk.watch import (
    MAX_TOTAL_SHIFT,
    SIGNAL_TERMS,
    clock_times_at_km,
    distance_ramp,
    logit_shifts,
    physiological_signals,
    shipped_model,
    unavailable_signals,
    watch_risk,
)


def _hr(speed: np.ndarray, distance: np.ndarray) -> np.ndarray:
    """Heart rate that follows speed, with a slow upward drift (about 5 bpm over 42 km)."""
    return 100.0 + 15.0 * speed + distance / 8000.0


def _cadence(speed: np.ndarray, distance: np.ndarray) -> np.ndarray:
    return 150.0 + 8.0 * speed


def _risk(track: pd.DataFrame, **kw) -> pd.DataFrame:
    per_km = _per_km(
        track, hr_max_bpm=190.0, hr_rest_bpm=50.0, critical_speed_mps=4.2, carbs_g_per_h=60
    )
    return watch_risk(track, per_km, **kw).set_index("km")


def _per_km(track: pd.DataFrame, **athlete) -> pd.DataFrame:
    return fatigue_state(track, for_race(Athlete.given(**athlete), track, warn=False)).per_km


@pytest.fixture(scope="module")
def even() -> pd.DataFrame:
    track = synthetic_track(((MARATHON_M, 3.3),), wobble=0.03, heart_rate=_hr, cadence=_cadence)
    return _risk(track)


@pytest.fixture(scope="module")
def fader() -> pd.DataFrame:
    track = fading_race(28_000.0, 1.35, v=3.3, wobble=0.03, heart_rate=_hr, cadence=_cadence)
    return _risk(track)


def test_clock_time_at_each_km_includes_pauses():
    track = synthetic_track(((10_010.0, 4.0),))
    assert clock_times_at_km(track).loc[[1, 5, 10]].tolist() == pytest.approx([250, 1250, 2500])
    # a 120 s pause after 3 km (elapsed jumps, distance does not) is counted like a chip mat
    paused = track.copy()
    after = paused["distance_m"] > 3000.0
    paused.loc[after, "elapsed_s"] += 120.0
    times = clock_times_at_km(paused)
    assert times.loc[3] == pytest.approx(750.0, abs=0.5)
    assert times.loc[4] == pytest.approx(1000.0 + 120.0, abs=0.5)
    assert list(times.index) == list(range(1, 11))


def test_clock_times_survive_a_backward_distance_correction():
    track = synthetic_track(((5_000.0, 4.0),))
    track.iloc[600, track.columns.get_loc("distance_m")] -= 50.0  # device correction
    times = clock_times_at_km(track)
    assert np.all(np.diff(times.to_numpy()) > 0)


def test_timeline_starts_at_5_km_and_ends_at_the_final_mile(even):
    # 42.195 km: the final mile starts at 40.59 km, so 40 km is the last point
    assert even.index[0] == 5 and even.index[-1] == 40
    assert even.attrs["calibrated"] and even.attrs["race"] == "marathon"
    assert even.attrs["ends_at_km"] == pytest.approx((MARATHON_M - METRE_PER_MILE) / 1000, abs=0.01)
    short = synthetic_track(((12_500.0, 3.3),), heart_rate=_hr, cadence=_cadence)
    risk = watch_risk(short)
    assert risk["km"].tolist() == list(range(5, 11))  # final mile from 10.89 km
    assert not risk.attrs["calibrated"]
    assert risk.attrs["calibration"] == (
        "transferred from the marathon model, not calibrated on 12.5 km races"
    )
    five = watch_risk(synthetic_track(((5_020.0, 3.3),)))
    assert five.empty and any("before 5 km" in n for n in five.attrs["notes"])
    assert watch_risk(synthetic_track(((4_500.0, 3.3),))).empty


@pytest.mark.parametrize(
    ("distance_m", "race_key", "last_km"),
    [(21_150.0, "half", 19), (10_030.0, "10k", 8), (50_100.0, "50k", 48), (62_000.0, "ultra", 60)],
)
def test_every_distance_runs_to_its_final_mile(distance_m, race_key, last_km):
    risk = watch_risk(synthetic_track(((distance_m, 3.3),)))
    assert risk.attrs["race"] == race_key and risk["km"].iloc[-1] == last_km
    assert risk["km"].iloc[0] == 5 and np.isfinite(risk["p_splits"]).all()
    label = risk.attrs["race_label"]
    text = " ".join([risk.attrs["calibration"], *risk.attrs["notes"]])
    assert f"not calibrated on {label} races" in text
    for allowed in ("marathon model", "marathon-equivalent", label):
        text = text.replace(allowed, "")
    assert "marathon" not in text  # never calls this race a marathon


def test_a_transferred_band_is_wider_than_the_calibrated_one():
    half = watch_risk(synthetic_track(((21_150.0, 3.3),))).set_index("km")
    full = watch_risk(synthetic_track(((MARATHON_M, 3.3),))).set_index("km")
    # half km 15 is read at the marathon's 30 km: same landmark, wider band
    assert half.loc[15, "landmark_km"] == pytest.approx(30.0, abs=0.1)
    width = {
        name: logit(r["p_splits_hi"]) - logit(r["p_splits_lo"])
        for name, r in (("half", half.loc[15]), ("full", full.loc[30]))
    }
    assert width["half"] > width["full"] + 0.3


#: Bar per marathon-equivalent km for an even runner: 0.3 logit up to the 35 km landmark.
#: After it the chip data's own even runners fall faster (0.35-0.65 logit/km from 35 to
#: 40 km, see bench/risk_eval.py): there the even runner's log-odds may only fall, by less
#: than 0.35 per km.
EVEN_STEP_LOGIT, LATE_FROM_KM, LATE_STEP_LOGIT = 0.3, 35.0, 0.35


def assert_smooth_for_an_even_runner(risk: pd.DataFrame) -> None:
    eta = risk["log_odds_splits"].to_numpy()
    landmark = risk["landmark_km"].to_numpy()
    per_km = np.diff(eta) / np.diff(landmark)  # per marathon-equivalent km
    early = landmark[1:] <= LATE_FROM_KM + 1e-9
    assert np.abs(per_km[early]).max() < EVEN_STEP_LOGIT
    assert (per_km[~early] <= 1e-9).all()
    assert (np.abs(per_km[~early]) < LATE_STEP_LOGIT).all()


@pytest.mark.parametrize("distance_m", [MARATHON_M, 21_150.0, 50_100.0, 30_000.0])
@pytest.mark.parametrize("speed_mps", [2.9, 3.3, 3.9])
def test_even_pace_moves_less_than_0_3_logit_per_km(distance_m, speed_mps):
    assert_smooth_for_an_even_runner(watch_risk(synthetic_track(((distance_m, speed_mps),))))


def _collapsing(onset_m: float, growth: float, v: float = 3.3) -> pd.DataFrame:
    """Even at ``v`` m/s, then each km ``growth`` slower than the one before."""
    ends = np.arange(onset_m + 1000.0, MARATHON_M + 1000.0, 1000.0).clip(max=MARATHON_M)
    pieces = [(onset_m, v)] + [(e, v / (1 + growth) ** (i + 1)) for i, e in enumerate(ends)]
    return synthetic_track(tuple(pieces))


def test_a_collapse_raises_the_calibrated_layer_monotonically():
    risk = watch_risk(_collapsing(30_000.0, 0.04)).set_index("km")
    assert (np.diff(risk.loc[31:, "log_odds_splits"]) > 0).all()
    assert risk.loc[40, "p_splits"] > 0.5 > 0.1 > risk.loc[30, "p_splits"]
    # an abrupt collapse (40 % slower from 30 km) raises it km by km while the 5 km window fills
    abrupt = watch_risk(fading_race(30_000.0, 1.4, v=3.3)).set_index("km")
    assert (np.diff(abrupt.loc[30:35, "log_odds_splits"]) > 0).all()
    assert (abrupt.loc[31:, "p_splits"] > 0.1).all()


def test_even_runner_starts_at_the_base_rate_and_ends_low(even):
    # before the race has shown anything, about the base rate of the chip data (11-25 %)
    assert even.loc[5:10, "p_fail"].between(0.11, 0.25).all()
    assert (even["p_fail"].loc[30:] < 0.05).all() and even.loc[40, "p_fail"] < 0.01


def test_fader_from_28_km_gets_rising_risk(fader, even):
    assert fader.loc[25, "p_fail"] < 0.2
    assert fader.loc[33, "p_fail"] > 2 * fader.loc[28, "p_fail"]
    assert fader.loc[35, "p_fail"] > 0.5
    assert fader.loc[35, "p_fail"] > 5 * even.loc[35, "p_fail"]
    # the physiology (decoupling as HR stays up while pace falls; gait) adds on top of splits
    assert fader.loc[35, "logit_adjustment"] > even.loc[35, "logit_adjustment"]


def test_bands_and_combination_are_consistent(fader, even):
    for risk in (fader, even):
        assert np.isfinite(risk[["p_fail", "p_lo", "p_hi", "p_splits"]].to_numpy()).all()
        assert (risk["p_lo"] <= risk["p_fail"] + 1e-12).all()
        assert (risk["p_fail"] <= risk["p_hi"] + 1e-12).all()
        assert (risk["p_fail"] >= risk["p_splits"] - 1e-12).all()
        assert (risk["logit_adjustment"].between(0.0, MAX_TOTAL_SHIFT)).all()
        # no adjustment before the ramp starts: early risk is the calibrated number
        assert (risk.loc[:10, "p_fail"] == risk.loc[:10, "p_splits"]).all()


def test_p_splits_is_the_chip_model_at_the_clock_times(fader):
    track = fading_race(28_000.0, 1.35, v=3.3, wobble=0.03)
    clock = clock_times_at_km(track)
    expected = shipped_model().predict_at(30.0, clock.loc[:30])
    assert fader.loc[30, "p_splits"] == pytest.approx(expected["p_fail"])


def test_no_look_ahead_in_the_splits_layer():
    full = fading_race(28_000.0, 1.35, v=3.3)
    cut = full[full["distance_m"] <= 30_500.0]
    race = detect_race(float(full["distance_m"].max()))
    a = watch_risk(full).set_index("km")["p_splits"]
    b = watch_risk(cut, race=race).set_index("km")["p_splits"]
    pd.testing.assert_series_equal(a.loc[:30], b.loc[:30])


def test_sex_and_age_reach_the_chip_model():
    track = fading_race(28_000.0, 1.2, v=3.3)
    men = watch_risk(track, sex="M", age=40).set_index("km")
    women = watch_risk(track, sex="F", age=40).set_index("km")
    assert men.loc[35, "p_splits"] > women.loc[35, "p_splits"]


@pytest.mark.parametrize("term", SIGNAL_TERMS, ids=lambda t: t.name)
def test_each_term_is_bounded_and_monotone(term):
    grid = np.linspace(term.neutral - 3 * abs(term.full - term.neutral), term.full * 3, 400)
    grid = grid if term.full > term.neutral else grid[::-1]
    shifts = term.shift(np.sort(grid) if term.full > term.neutral else -np.sort(-grid))
    assert shifts.min() >= 0.0 and shifts.max() == pytest.approx(term.max_shift)
    assert term.max_shift <= 0.5
    assert np.all(np.diff(shifts) >= 0)  # non-decreasing in the warning direction
    assert term.shift(np.array([term.neutral]))[0] == 0.0
    assert term.shift(np.array([np.nan]))[0] == 0.0


@settings(deadline=None)  # timings on a shared machine vary 10x
@given(
    st.lists(st.floats(-50, 50, allow_nan=False), min_size=5, max_size=5),
    st.floats(0, 45),
)
def test_total_shift_is_capped_and_monotone_in_every_signal(values, km):
    names = [t.name for t in SIGNAL_TERMS]
    signals = pd.DataFrame([values], columns=names)
    base = logit_shifts(signals, np.array([km]))["logit_adjustment"].iloc[0]
    assert 0.0 <= base <= MAX_TOTAL_SHIFT + 1e-12
    for term in SIGNAL_TERMS:
        worse = signals.copy()
        worse[term.name] += np.sign(term.full - term.neutral) * 1.0
        moved = logit_shifts(worse, np.array([km]))["logit_adjustment"].iloc[0]
        assert moved >= base - 1e-12


def test_distance_ramp():
    assert distance_ramp(np.array([5, 10, 15, 20, 35])).tolist() == [0, 0, 0.5, 1, 1]


def test_cs_terms_need_a_given_critical_speed(fader):
    track = fading_race(28_000.0, 1.35, v=3.3, heart_rate=_hr, cadence=_cadence)
    per_km = _per_km(track, hr_max_bpm=190.0, hr_rest_bpm=50.0, critical_speed_mps=3.4)
    without = physiological_signals(per_km, cs_given=False)
    assert without["first_half_cs"].isna().all() and without["d_prime"].isna().all()
    with_cs = physiological_signals(per_km, cs_given=True)
    # first half at 3.3 m/s against CS 3.4 m/s: about 97 % of CS
    assert with_cs.loc[21, "first_half_cs"] == pytest.approx(3.3 / 3.4, rel=0.01)
    assert with_cs.loc[4, "first_half_cs"] != with_cs.loc[4, "first_half_cs"]  # NaN before 5 km
    risk = watch_risk(track, per_km, cs_given=True).set_index("km")
    assert (risk.loc[20:, "shift_first_half_cs"] > 0.2).all()
    reasons = watch_risk(track, per_km, cs_given=False).attrs["unavailable_signals"]
    assert "circular" in reasons["first_half_cs"]


def test_signals_are_causal(fader):
    """A signal at km k depends only on kilometres up to k (gait after the reference window)."""
    track = fading_race(28_000.0, 1.35, v=3.3, wobble=0.03, heart_rate=_hr, cadence=_cadence)
    per_km = _per_km(track, hr_max_bpm=190.0, hr_rest_bpm=50.0, critical_speed_mps=4)
    signals = physiological_signals(per_km, cs_given=True)
    changed = per_km.copy()
    changed.loc[31:, ["pa_hr_cumulative", "cadence_residual", "d_prime_spent"]] = 0.5
    later = physiological_signals(changed, cs_given=True)
    pd.testing.assert_frame_equal(signals.loc[:30], later.loc[:30])
    assert signals.loc[:19, "gait"].isna().all()


def test_without_heart_rate_or_cadence_only_splits_count():
    track = fading_race(28_000.0, 1.35, v=3.3)
    per_km = _per_km(track, critical_speed_mps=4.0)
    risk = watch_risk(track, per_km)
    assert (risk["logit_adjustment"] == 0).all()
    assert (risk["p_fail"] == risk["p_splits"]).all()
    assert {"glycogen", "decoupling", "gait"} <= set(risk.attrs["unavailable_signals"])


def test_glycogen_term_needs_a_known_max_hr():
    per_km = pd.DataFrame(
        {"glycogen_margin_km": [-5.0] * 30},
        index=pd.RangeIndex(1, 31, name="km"),
    )
    known = physiological_signals(per_km, cs_given=False, max_hr_known=True)
    assumed = physiological_signals(per_km, cs_given=False, max_hr_known=False)
    assert (known["glycogen"] == -5.0).all()
    assert assumed["glycogen"].isna().all()
    reasons = unavailable_signals(assumed, cs_given=False, max_hr_known=False)
    assert "estimated from this race" in reasons["glycogen"]


def test_no_risk_after_a_jump_or_a_long_pause():
    from finishline.risk.watch import broken_from_km

    n = 8000
    track = pd.DataFrame(
        {
            "distance_m": np.arange(n) * 3.0,
            "moving": np.ones(n, bool),
            "in_gap": np.zeros(n, bool),
            "paused": np.zeros(n, bool),
        }
    )
    assert broken_from_km(track) is None
    jumped = track.copy()
    jumped.loc[4000:4010, ["in_gap"]] = True
    jumped.loc[4000:4010, ["moving"]] = False  # 12 km: a jump no runner makes
    jumped.loc[4000:, "distance_m"] += np.minimum(np.arange(len(jumped) - 4000) + 1, 11) * 40.0
    assert broken_from_km(jumped) == 13
    glitch = track.copy()  # 33 m crossed in a gap: within the tolerance, race time still
    glitch.loc[4000:4010, ["in_gap"]] = True
    glitch.loc[4000:4010, ["moving"]] = False
    assert broken_from_km(glitch) is None
    paused = track.copy()
    paused.loc[2000 : 2000 + 1799, "paused"] = True  # 30 min at 6 km
    paused.loc[2000 : 2000 + 1799, "moving"] = False
    assert broken_from_km(paused) == 7
    short = track.copy()
    short.loc[2000:2100, "paused"] = True  # a 100-s stop is race time, like at a chip mat
    assert broken_from_km(short) is None
