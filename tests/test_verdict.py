"""The verdict in words: every claim checked against the numbers it was built from."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
import pytest
from synthetic import make_run

from finishline.analysis import analyze
from finishline.definitions import detect_race
from finishline.fatigue.composite import signal_onsets
from finishline.fatigue.state import FatigueState
from finishline.metrics.final_mile import FinalMile, severity
from finishline.results import RiskTimeline
from finishline.verdict import final_mile_sentence, race_verdict, risk_sentence

MARATHON = detect_race(42_400.0)


def _fm(
    ratio: float, walk: float = 0.0, stop: float = 0.0, reference: str = "5-20 km"
) -> FinalMile:
    failed = bool((np.isfinite(ratio) and ratio >= 1.25) or walk + stop >= 60)
    nan = float("nan")
    return FinalMile(
        segment_m=1609.344,
        start_m=40_000.0,
        time_s=nan,
        pace_s_per_km=nan,
        gap_pace_s_per_km=nan,
        reference=reference,
        reference_start_m=5000.0,
        reference_end_m=20000.0,
        reference_pace_s_per_km=nan,
        reference_gap_pace_s_per_km=nan,
        pace_ratio=ratio,
        gap_pace_ratio=nan,
        walk_s=walk,
        stop_s=stop,
        walked=walk >= 60,
        stopped=stop >= 60,
        failed=failed,
        severity=severity(ratio),
    )


def claimed_pct(text: str) -> tuple[float, str]:
    match = re.search(r"(\d+) % (slower|faster) than", text)
    assert match, text
    return float(match.group(1)), match.group(2)


@pytest.mark.parametrize(
    ("ratio", "walk", "stop", "word"),
    [
        (0.92, 0, 0, "held"),
        (1.08, 10, 0, "held"),
        (1.18, 0, 0, "slowed"),
        (1.31, 0, 0, "failed"),
        (1.31, 75, 5, "failed"),
        (1.05, 40, 30, "failed"),
    ],
)
def test_final_mile_sentence_matches_the_facts(ratio, walk, stop, word):
    fm = _fm(ratio, walk, stop)
    text = final_mile_sentence(fm)
    assert text.startswith(f"Final mile {word}")
    assert ("failed" in text.split(":")[0]) == fm.failed
    assert text.startswith(f"Final mile {fm.outcome}")
    pct, direction = claimed_pct(text)
    assert pct == round(abs(100 * (ratio - 1)))
    assert direction == ("slower" if ratio >= 1 else "faster")
    for seconds, kind in ((walk, "walking"), (stop, "stopped")):
        assert (f"{seconds:.0f} s {kind}" in text) == (seconds > 0)


def test_the_reference_window_is_named():
    assert "than your 4.2-10.5 km pace" in final_mile_sentence(_fm(1.1, reference="4.2-10.5 km"))


@pytest.mark.parametrize(("ratio", "stop"), [(1.004, 0), (0.996, 0), (1.002, 72)])
def test_a_final_mile_at_the_reference_pace_is_not_called_0_percent_slower(ratio, stop):
    text = final_mile_sentence(_fm(ratio, 0, stop))
    assert "0 %" not in text and "within 0.5 % of your" in text


def test_no_ratio_no_pace_claim():
    text = final_mile_sentence(_fm(float("nan")))
    assert "No final-mile pace verdict" in text and "%" not in text


def test_signal_onsets_follow_the_sustained_rule():
    km = pd.RangeIndex(1, 43, name="km")
    frame = pd.DataFrame(
        {
            "score_pace": np.where(km >= 31, 0.8, 0.1),
            "score_cardiac": np.where(km >= 24, 0.6, 0.0),
            "score_gait": np.where(km % 5 == 0, 1.0, 0.0),  # isolated spikes: never sustained
            "glycogen_margin_km": np.where(km >= 36, -2.0, 3.0),
        },
        index=km,
    )
    onsets = signal_onsets(frame)
    assert onsets == {"pace_fade": 30.0, "decoupling": 23.0, "gait": None, "glycogen": 35.0}
    assert signal_onsets(pd.DataFrame()) == dict.fromkeys(onsets)


def test_fatigue_part_orders_the_signals():
    fatigue = FatigueState(
        onset_km=29.0,
        signal_onsets_km={"pace_fade": 31.0, "decoupling": 23.0, "gait": None, "glycogen": 27.0},
    )
    text = race_verdict(_fm(1.3), fatigue, RiskTimeline(pd.DataFrame(), MARATHON))
    assert "Fatigue set in at 29 km" in text
    order = text.index(
        "cardiac drift (efficiency 4 % below your reference level) at 23 km"
    ) < text.index("glycogen margin below zero")
    glycogen = "glycogen margin below zero (the modelled glycogen would run out before the finish)"
    assert order and text.index(f"{glycogen} at 27 km") < text.index("pace fade (10 %")
    # the per-km frame is empty here: gait had no data, so it was not judged (not "not set in")
    assert "Not judged" in text and text.index("gait change") > text.index("Not judged")
    assert "Did not set in" not in text


def test_signals_that_did_not_set_in_are_told_apart_from_the_unmeasured():
    per_km = pd.DataFrame(
        {
            "score_pace": [0.0, 0.1, 0.1],
            "score_cardiac": [np.nan, np.nan, np.nan],
            "score_gait": [0.0, 0.0, 0.1],
            "glycogen_margin_km": [5.0, 4.0, 3.0],
            "distance_end_m": [6000.0, 7000.0, 8000.0],
        },
        index=pd.Index([6, 7, 8], name="km"),
    )
    fatigue = FatigueState(
        per_km=per_km,
        onset_km=float("nan"),
        signal_onsets_km={"pace_fade": None, "decoupling": None, "gait": None, "glycogen": None},
        assumed=frozenset({"glycogen"}),
    )
    text = race_verdict(_fm(1.0), fatigue, RiskTimeline(pd.DataFrame(), MARATHON))
    did_not = text[text.index("Did not set in") : text.index("Not judged")]
    judged_not = text[text.index("Not judged") :]
    assert "pace fade" in did_not and "gait change" in did_not
    assert "cardiac drift" in judged_not and "glycogen" in judged_not
    assert "cardiac drift" not in did_not


def test_risk_part_quotes_the_timeline():
    risk = pd.DataFrame(
        {
            "km": [29, 30, 35],
            "p_fail": [0.3, 0.41, 0.62],
            "p_lo": [0.2, 0.30, 0.45],
            "p_hi": [0.4, 0.52, 0.80],
            "p_splits": [0.3, 0.35, 0.62],
        }
    )
    text = risk_sentence(RiskTimeline(risk, MARATHON))
    assert text.startswith("At 30 km the chance of falling apart in the last mile was 41 %")
    assert "(band 30 % to 52 %; splits alone 35 %)" in text
    assert "at 35 km 62 % (band 45 % to 80 %)" in text  # equal to splits: not repeated
    assert "marathon" not in text.lower().replace("last mile", "")
    short = risk_sentence(RiskTimeline(risk.iloc[:1], MARATHON))
    assert short.startswith("At 29 km") and "30 %" in short
    assert "(band 20 % to 40 %)" in short  # a timeline cut short keeps its band


def test_risk_part_names_a_transferred_model_and_never_says_marathon():
    half = detect_race(21_300.0)
    risk = pd.DataFrame(
        {"km": [15, 18], "p_fail": [0.1, 0.2], "p_lo": [0.05, 0.1], "p_hi": [0.2, 0.3]}
        | {"p_splits": [0.1, 0.2]}
    )
    label = "transferred from the marathon model, not calibrated on half marathon races"
    text = risk_sentence(RiskTimeline(risk, half, calibration=label))
    assert text.startswith(f"Risk {label}: at 15 km the chance")  # said once, for all
    assert "at 18 km 20 %" in text
    assert "of a marathon" not in text


@pytest.fixture(scope="module")
def faded():
    """A 42.5 km run at 3.2 m/s that slows to 2.3 m/s from 33 km, HR and cadence recorded."""
    rng = np.random.default_rng(3)
    first = int(33_000 / 3.2)
    second = int(9_500 / 2.3)
    speed = np.r_[np.full(first, 3.2), np.full(second, 2.3)] * (
        1 + rng.normal(0, 0.01, first + second)
    )
    hr = 150 + np.linspace(0, 12, speed.size) + rng.normal(0, 1, speed.size)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return analyze(make_run(speed, heart_rate_bpm=hr), sex="M", age=45)


def test_verdict_on_an_analysed_fade_matches_final_mile_numbers(faded):
    fm = faded.final_mile
    assert fm.failed and fm.pace_ratio >= 1.25
    assert faded.verdict.startswith("Final mile failed")
    pct, direction = claimed_pct(faded.verdict)
    assert direction == "slower" and pct == round(100 * (fm.pace_ratio - 1))
    risk = faded.risk.table.set_index("km")
    for km in (30, 35):
        assert f"{100 * risk.loc[km, 'p_fail']:.0f} %" in faded.verdict
    onsets = faded.fatigue.signal_onsets_km
    assert onsets["pace_fade"] is not None
    assert 30.0 <= onsets["pace_fade"] <= 34.0


@pytest.mark.parametrize("seconds", [1300, 2200])  # 3.9 km; 6.6 km (two km rows after 5 km)
def test_a_run_too_short_for_an_onset_judges_no_fatigue_signal(seconds):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        short = analyze(make_run(np.full(seconds, 3.0)))
    assert "too short for a fatigue onset" in short.verdict
    assert "Did not set in" not in short.verdict and "no fatigue onset" not in short.verdict
    assert "no risk: " not in short.verdict


def test_a_run_with_three_km_after_5_km_is_judged():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run = analyze(make_run(np.full(2700, 3.0)))  # 8.1 km
    assert "too short" not in run.verdict and "Did not set in" in run.verdict


@pytest.mark.parametrize(
    ("after_s", "said"), [(0.0, None), (4.0, None), (9.0, "the 9 s of"), (600.0, "the 10 min of")]
)
def test_the_verdict_says_where_the_race_was_taken_to_end(after_s, said):
    from dataclasses import replace

    fm = replace(_fm(1.0), finish_m=42_531.0, after_finish_s=after_s)
    fatigue = FatigueState(onset_km=float("nan"), signal_onsets_km={})
    text = race_verdict(fm, fatigue, RiskTimeline(pd.DataFrame(), MARATHON))
    if said is None:  # shorter than the shortest stop that counts: nothing left out to speak of
        assert "taken to end" not in text
    else:
        assert f"The race is taken to end at 42.53 km, where the running stopped: {said}" in text
        assert text.index("taken to end") > text.index("Final mile")
