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
    assert fraction >= MIN_PASS_FRACTION, f"only {fraction:.1%} agree:\n{report}"
