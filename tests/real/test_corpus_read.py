"""Every corpus file either reads or raises a FinishlineError; FIT summaries match the device.

The device's own session totals (``total_distance``, ``total_elapsed_time``, straight from the
decoded ``session`` messages) are an independent truth for :func:`finishline.summarize`, which
computes from the samples.
"""

from __future__ import annotations

import math
import signal
import warnings
from contextlib import contextmanager
from functools import cache

import pytest
from corpus import corpus_files, corpus_path

import finishline
from finishline.errors import FinishlineError
from finishline.io.fit import decode_fit

pytestmark = pytest.mark.real

TIMEOUT_S = 60
DISTANCE_TOL = 0.02
ELAPSED_TOL = 0.01
#: Sample timestamps have 1 s resolution while device totals are in ms: a file a few seconds long
#: cannot agree to 1 %, so the elapsed tolerance never goes below one sample interval.
ELAPSED_FLOOR_S = 1.0
MIN_PASS_FRACTION = 0.95

#: FIT files whose device totals disagree with the file's own records, and why. Every other FIT
#: file with a session must agree; every file here must still disagree (the list is exact, so a
#: reader regression cannot hide in it and a fix must remove the entry). With these, 47 of the
#: 56 files with sessions agree (84 %): below the issue's 95 % bar, for the reasons given.
KNOWN_DISAGREEMENTS = {
    "bad/fitparse__strava-android-app-201.10-b1218918__nosport_nodist.fit": (
        "corrupt after 488 messages (a data message of an undefined local type): the records "
        "stop at 314 s of a 3,558 s session; fitparse stops at the same byte"
    ),
    "bad/muktihari__big_activity__ride_32.2km.fit": (
        "synthetic test file: 99,998 records with a constant distance of 405.81 m spanning "
        "27.8 h, against a 30,877 s / 32,172 m session"
    ),
    "bad/muktihari__chained_Activity_activity_poolswim__multisport_0.5km.fit": (
        "two activities chained whose times overlap: their sessions sum to 4,441 s while the "
        "records span 3,600 s"
    ),
    "bad/fitparse__elemnt-bolt-no-application-id-inside-developer-data-id__ride_1.0km.fit": (
        "the last record is 9 s before the timer stop_all that closes the 140 s session"
    ),
    "bad/fitparse__event_timestamp__swim_2.6km.fit": (
        "the records end at 14:56:33, the session at 14:58:39: 124 s of the session have no record"
    ),
    "fit/muktihari__activity_poolswim__swim_0.5km.fit": (
        "pool swim: records at lengths cover 434 m / 820 s of the 457 m / 840 s session"
    ),
    "bad/tormoder__unterminated-strings__ride_0.1km.fit": (
        "a 32 s file whose records reach 64.7 m while the session says 69 m"
    ),
    "fit/sweatpy__2020-06-01-16-52-40__ride_0.7km.fit": (
        "the session's elapsed time (113.2 s) is shorter than its own records span (126 s) and "
        "than its timer events (start 14:52:40 to stop_all 14:54:46)"
    ),
    "fit/tormoder__0134902991__ride_7.1km.fit": (
        "the session's elapsed time (720.3 s) is shorter than its own 739 one-second records"
    ),
}


class ReadTimeout(Exception):
    """A read took longer than :data:`TIMEOUT_S`."""


@contextmanager
def time_limit(seconds: int):
    def _raise(signum, frame):
        raise ReadTimeout(f"read took longer than {seconds} s")

    previous = signal.signal(signal.SIGALRM, _raise)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@cache
def read_outcome(name: str) -> tuple[finishline.Activity | None, FinishlineError | None]:
    """Read corpus file ``name`` once per session: (activity, None) or (None, error)."""
    path = corpus_path(name)
    with time_limit(TIMEOUT_S), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return finishline.read(path), None
        except FinishlineError as exc:
            return None, exc


@pytest.mark.parametrize("name", corpus_files())
def test_reads_or_raises_finishline_error(name):
    act, err = read_outcome(name)
    if err is not None:
        assert err.path is not None and str(err.path).endswith(name), "the error names the file"
        return
    assert isinstance(act, finishline.Activity)
    assert act.meta.is_course or act.samples.index.is_monotonic_increasing
    summary = finishline.summarize(act)
    assert summary["n_samples"] == len(act.samples)


def _session_truth(name: str) -> tuple[float | None, float] | None:
    """(total distance or None, total elapsed) summed over the file's session messages."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            msgs = decode_fit(corpus_path(name).read_bytes(), name)
        except FinishlineError:
            return None
    session = msgs.get("session")
    if session.empty or "total_elapsed_time" not in session.columns:
        return None
    # A chained file that holds the same activity twice repeats its session: count it once.
    key = [c for c in ("start_time", "total_elapsed_time", "total_distance") if c in session]
    session = session.drop_duplicates(subset=key)
    elapsed = session["total_elapsed_time"].astype(float)
    if elapsed.isna().all():
        return None
    dist = session["total_distance"].astype(float) if "total_distance" in session else None
    distance = None if dist is None or dist.isna().any() else float(dist.sum())
    return distance, float(elapsed.sum())


def _check(name: str, truth: tuple[float | None, float]) -> str | None:
    """``None`` when the summary agrees with the session totals, else the reason it does not."""
    act, err = read_outcome(name)
    if err is not None:
        return f"{type(err).__name__}: {err.reason}"
    summary = finishline.summarize(act)
    distance_truth, elapsed_truth = truth
    problems = []
    if distance_truth is not None:
        got = summary["distance_m"]
        got = 0.0 if got is None and distance_truth == 0 else got
        if got is None or abs(got - distance_truth) > DISTANCE_TOL * distance_truth:
            problems.append(f"distance {got} m vs session {distance_truth:.1f} m")
    tol = max(ELAPSED_TOL * elapsed_truth, ELAPSED_FLOOR_S)
    if abs(summary["elapsed_s"] - elapsed_truth) > tol:
        problems.append(f"elapsed {summary['elapsed_s']:.1f} s vs session {elapsed_truth:.1f} s")
    return "; ".join(problems) or None


def test_fit_summaries_match_session_totals():
    names = [n for n in corpus_files(".fit") if not n.startswith("<")]
    if not names:
        corpus_path("MANIFEST.tsv")  # skips (or fails under CI) when the corpus is absent
    checked: dict[str, str | None] = {}
    for name in names:
        truth = _session_truth(name)
        if truth is not None:
            checked[name] = _check(name, truth)
    failures = {n: why for n, why in checked.items() if why is not None}
    fraction = 1 - len(failures) / len(checked)
    report = "\n".join(f"  {n}: {why}" for n, why in sorted(failures.items()))
    print(
        f"\nFIT files with sessions: {len(checked)}; agree with the device: "
        f"{len(checked) - len(failures)} ({fraction:.1%})\n{report}"
    )
    assert len(checked) > 0 and not math.isnan(fraction)
    unexpected = {n: why for n, why in failures.items() if n not in KNOWN_DISAGREEMENTS}
    assert not unexpected, f"files that should agree with the device do not:\n{unexpected}"
    now_agree = sorted(n for n in KNOWN_DISAGREEMENTS if n in checked and n not in failures)
    assert not now_agree, f"listed as disagreeing but now agree (update the list): {now_agree}"
    missing = sorted(n for n in KNOWN_DISAGREEMENTS if n not in checked)
    assert not missing, f"listed files no longer have a session or are gone: {missing}"
    consistent = [n for n in checked if n not in KNOWN_DISAGREEMENTS]
    agree = sum(checked[n] is None for n in consistent) / len(consistent)
    assert agree >= MIN_PASS_FRACTION
