"""TCX lap and session tables are built in the form :func:`finishline.activity.conform` keeps.

The TCX reader hands its lap and session frames to the activity as they are (``in_form``), so
they must be exactly what ``conform`` would give back unchanged: the declared columns in order,
their dtypes, text as ``str`` (or objects when every value is missing). Checked on generated
files that vary what changes a dtype (no trigger, no sport, no laps, multisport legs, bad lap
starts) and on every TCX file of the corpus.
"""

from __future__ import annotations

import pandas as pd
import pytest
from corpus import corpus_files, corpus_path
from test_io_tcx import activity, lap, point, run_two_laps, tcx

import finishline
from finishline.activity import _conformed, rebuild
from finishline.errors import FinishlineError
from finishline.io.tcx import read_tcx

T0 = "2021-03-01T10:00:00Z"


def _points(minute: int) -> list[str]:
    return [
        point(f"2021-03-01T10:{minute:02d}:00Z", 45.0, 7.0, 10.0 * minute, 120),
        point(f"2021-03-01T10:{minute:02d}:30Z", 45.001, 7.0, 10.0 * minute + 5, 125),
    ]


def _no_trigger_lap(start: str, minute: int) -> str:
    return lap(start, _points(minute), 60.0, 100.0).replace(
        "<TriggerMethod>Manual</TriggerMethod>", ""
    )


CASES = {
    "two laps": run_two_laps(),
    "no trigger": tcx(f"<Activities>{activity('Running', [_no_trigger_lap(T0, 0)])}</Activities>"),
    "no sport, no id": tcx(
        "<Activities>"
        + activity("", [lap(T0, _points(0), 60.0, 100.0)]).replace(f"<Id>{T0}</Id>", "")
        + "</Activities>"
    ),
    "no laps' fields": tcx(
        f"<Activities><Activity><Id>{T0}</Id><Lap><Track>{''.join(_points(0))}</Track></Lap>"
        "</Activity></Activities>"
    ),
    "bad lap start": tcx(
        f"<Activities>{activity('Biking', [lap('yesterday', _points(0), 60.0, 1e3)])}</Activities>"
    ),
    "multisport": tcx(
        "<Activities><MultiSportSession><FirstSport>"
        + activity("Running", [lap(T0, _points(0), 60.0, 100.0)])
        + "</FirstSport><NextSport>"
        + activity("Biking", [_no_trigger_lap("2021-03-01T10:05:00Z", 5)], "2021-03-01T10:05:00Z")
        + "</NextSport></MultiSportSession></Activities>"
    ),
}


def _assert_in_form(act: finishline.Activity) -> None:
    for kind in ("laps", "sessions"):
        frame = getattr(act, kind)
        assert _conformed(frame, kind), kind
        pd.testing.assert_frame_equal(frame, rebuild(frame, kind), check_exact=True)


@pytest.mark.parametrize("case", sorted(CASES))
def test_generated_tcx_tables_are_in_conform_form(case):
    act = read_tcx(CASES[case], f"{case}.tcx")
    assert len(act.sessions) >= 1
    _assert_in_form(act)


def test_a_session_without_laps_has_missing_totals():
    body = tcx(
        "<Activities><MultiSportSession><FirstSport>"
        + activity("Running", [lap(T0, _points(0), 60.0, 100.0)])
        + "</FirstSport><NextSport>"
        + "<Activity Sport='Biking'><Id>2021-03-01T10:05:00Z</Id></Activity>"
        + "</NextSport></MultiSportSession></Activities>"
    )
    act = read_tcx(body, "legs.tcx")
    assert list(act.sessions["sport"]) == ["running", "cycling"]
    assert act.sessions["timer_s"].iloc[0] == 60.0 and pd.isna(act.sessions["timer_s"].iloc[1])
    _assert_in_form(act)


@pytest.mark.real
@pytest.mark.parametrize("name", corpus_files(".tcx"))
def test_corpus_tcx_tables_are_in_conform_form(name):
    try:
        act = finishline.read(corpus_path(name))
    except FinishlineError:
        pytest.skip("not a readable activity")
    _assert_in_form(act)
