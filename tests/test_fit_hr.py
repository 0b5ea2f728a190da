"""Heart rates of hr messages merged into records: against Garmin's SDK on random messages."""

from __future__ import annotations

import copy
import datetime as dt

import numpy as np
from garmin_fit_sdk import hr_mesg_utils
from hypothesis import given, settings
from hypothesis import strategies as st

from finishline.io.fit_hr import FIT_EPOCH_S, expand_heart_rates, merge_heart_rates

T0 = 1_000_000_000  # FIT seconds


def _stamp(seconds: float | None):
    if seconds is None:
        return None
    return dt.datetime.fromtimestamp(seconds + FIT_EPOCH_S, dt.UTC)


def _ns(seconds: list[float | None]) -> np.ndarray:
    return np.array(
        [np.datetime64("NaT", "ns") if s is None else np.datetime64(int((s + FIT_EPOCH_S) * 1e9), "ns")
         for s in seconds], dtype="datetime64[ns]",
    )  # fmt: skip


@st.composite
def hr_and_records(draw):
    """An anchor hr message, batches of beats after it, and records in time order (some
    sharing a second)."""
    n_batches = draw(st.integers(0, 6))
    anchor_event = draw(st.integers(0, 4000)) / 1024
    anchor = {"timestamp": T0, "fractional_timestamp": draw(st.integers(0, 99)) / 100,
              "event_timestamp": anchor_event, "filtered_bpm": draw(st.integers(60, 190))}  # fmt: skip
    messages = [anchor]
    event = anchor_event
    for _ in range(n_batches):
        k = draw(st.integers(1, 8))
        events, bpms = [], []
        for _ in range(k):
            event += draw(st.integers(1, 9000)) / 1024
            events.append(event)
            bpms.append(draw(st.integers(60, 190)))
        messages.append({"timestamp": None, "fractional_timestamp": None,
                         "event_timestamp": events if k > 1 else events[0],
                         "filtered_bpm": bpms if k > 1 else bpms[0]})  # fmt: skip
    steps = draw(st.lists(st.integers(0, 3), min_size=1, max_size=40))
    records = list(np.cumsum(steps) + T0 - draw(st.integers(0, 3)))
    own = draw(st.lists(st.integers(50, 200) | st.none(), min_size=len(records),
                        max_size=len(records)))  # fmt: skip
    return messages, [float(r) for r in records], own


def _columns(messages):
    def col(key):
        values = [m[key] for m in messages]
        if any(isinstance(v, list) for v in values):
            out = np.empty(len(values), dtype=object)
            out[:] = [tuple(v) if isinstance(v, list) else v for v in values]
            return out
        return np.array([np.nan if v is None else v for v in values], dtype=float)

    return {
        "_file": np.zeros(len(messages), dtype=np.int64),
        "timestamp": _ns([m["timestamp"] for m in messages]),
        "fractional_timestamp": col("fractional_timestamp"),
        "event_timestamp": col("event_timestamp"),
        "filtered_bpm": col("filtered_bpm"),
    }


@settings(max_examples=300, deadline=None)
@given(hr_and_records())
def test_merge_equals_the_sdk(case):
    messages, records, own = case
    sdk_hr = [dict(m, timestamp=_stamp(m["timestamp"])) for m in messages]
    sdk_records = [
        {"timestamp": _stamp(t), "heart_rate": h} for t, h in zip(records, own, strict=True)
    ]
    expected = copy.deepcopy(sdk_records)
    hr_mesg_utils.merge_heart_rates(sdk_hr, expected)
    record = {"timestamp": _ns(records),
              "heart_rate": np.array([np.nan if h is None else h for h in own], dtype=float)}  # fmt: skip
    merged = merge_heart_rates(_columns(messages), record)
    want = np.array([np.nan if r["heart_rate"] is None else r["heart_rate"] for r in expected])
    got = record["heart_rate"] if merged is None else merged
    np.testing.assert_array_equal(got, want)


@settings(max_examples=200, deadline=None)
@given(hr_and_records())
def test_expansion_equals_the_sdk(case):
    messages, _, _ = case
    sdk_hr = [dict(m, timestamp=_stamp(m["timestamp"])) for m in messages]
    expected = hr_mesg_utils.expand_heart_rates(sdk_hr)
    times, rates = expand_heart_rates(_columns(messages))
    np.testing.assert_allclose(times, [e["timestamp"] for e in expected], rtol=0, atol=1e-6)
    np.testing.assert_array_equal(rates, [e["heart_rate"] for e in expected])


def test_records_out_of_order_follow_the_sdk_walk():
    messages = [
        {"timestamp": T0, "fractional_timestamp": 0.0, "event_timestamp": 0.0, "filtered_bpm": 100},
        {"timestamp": None, "fractional_timestamp": None, "event_timestamp": [1.0, 2.0, 3.0, 4.0],
         "filtered_bpm": [110, 120, 130, 140]},
    ]  # fmt: skip
    records = [T0 + 1.0, T0 + 3.0, T0 + 2.0, T0 + 4.0, T0 + 9.0]
    sdk_hr = [dict(m, timestamp=_stamp(m["timestamp"])) for m in messages]
    expected = [{"timestamp": _stamp(t), "heart_rate": None} for t in records]
    hr_mesg_utils.merge_heart_rates(sdk_hr, expected)
    merged = merge_heart_rates(_columns(messages), {"timestamp": _ns(records)})
    want = [np.nan if r["heart_rate"] is None else r["heart_rate"] for r in expected]
    np.testing.assert_array_equal(merged, want)
    assert np.isfinite(merged).sum() >= 2
