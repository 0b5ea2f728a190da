"""Heart rates of FIT ``hr`` messages merged into the records, as Garmin's SDK merges them.

A heart-rate strap that stores beats while the watch cannot receive them (HRM-Swim, HRM-Tri
under water) writes ``hr`` messages: an anchor message with a time, then batches of beat times
(``event_timestamp``, s, 1/1024 resolution, 12-bit deltas packed in ``event_timestamp_12``) and
heart rates (``filtered_bpm``). The SDK expands them to a heart rate every 0.25 s (carrying a
value forward across gaps of up to 5 s) and gives each record the rounded mean of the heart
rates after the previous record's time and up to its own. A record after the last heart rate
keeps its own value.

If the ``hr`` messages break one of the SDK's rules (no anchor, mismatched lengths, a beat time
going back), the SDK merges nothing, and neither does :func:`merge_heart_rates`.

References
----------
``garmin_fit_sdk.hr_mesg_utils`` (``expand_heart_rates``, ``merge_heart_rates``).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

FIT_EPOCH_S = 631065600
_STEP_S = 0.25  # the expansion step (250 ms)
_MAX_STEPS = 20  # gaps are filled for up to 5 s
_ROLLOVER_S = 0x400000  # 2**32 ticks of 1/1024 s


class _NoMerge(Exception):
    """The hr messages break a rule of the SDK's merge: nothing is merged."""


def _as_list(value: object) -> list:
    if isinstance(value, tuple | list):
        return list(value)
    return [value]


def _seconds(times: np.ndarray) -> np.ndarray:
    """``datetime64[ns]`` (UTC) as float seconds since the FIT epoch (NaN for NaT)."""
    ns = times.view(np.int64)
    out = ns / 1e9 - FIT_EPOCH_S
    out[ns == np.iinfo(np.int64).min] = np.nan
    return out


def expand_heart_rates(hr: Mapping[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Times (s since the FIT epoch) and heart rates (1/min) of the beats of ``hr`` messages,
    every 0.25 s across gaps of up to 5 s (the SDK's ``expand_heart_rates``).

    Raises
    ------
    _NoMerge
        Where the SDK raises (no anchor time, mismatched lengths, a beat time going back).
    """
    if "event_timestamp" not in hr or "filtered_bpm" not in hr:
        raise _NoMerge("hr messages without event_timestamp or filtered_bpm")
    stamps = _seconds(hr["timestamp"]) if "timestamp" in hr else None
    fractions = hr.get("fractional_timestamp")
    times: list[float] = []
    rates: list[float] = []
    anchor: float | None = None
    anchor_event = 0.0
    for i, (events, bpms) in enumerate(
        zip(hr["event_timestamp"].tolist(), hr["filtered_bpm"].tolist(), strict=True)
    ):
        events, bpms = _as_list(events), _as_list(bpms)
        if stamps is not None and np.isfinite(stamps[i]):
            fraction = None if fractions is None else fractions[i]
            if fraction is None or fraction != fraction:
                raise _NoMerge("an anchor hr message without fractional_timestamp")
            anchor = float(stamps[i]) + float(fraction)
            if len(events) != 1:
                raise _NoMerge("an anchor hr message with several event timestamps")
            anchor_event = events[0]
        if anchor is None or len(events) != len(bpms):
            raise _NoMerge("hr messages without an anchor, or with mismatched lengths")
        for event, bpm in zip(events, bpms, strict=True):
            if event is None or bpm is None or event != event or bpm != bpm:
                raise _NoMerge("an hr message with an invalid beat")
            if event < anchor_event:
                if anchor_event - event <= _ROLLOVER_S:
                    raise _NoMerge("an event timestamp before its anchor")
                event += _ROLLOVER_S
            current = anchor + (event - anchor_event)
            if times:
                previous_t, previous_hr = times[-1], rates[-1]
                gap_ms = abs(current - previous_t) * 1000
                step = 1
                while gap_ms > _STEP_S * 1000 and step <= _MAX_STEPS:
                    times.append(previous_t + _STEP_S * step)
                    rates.append(previous_hr)
                    gap_ms -= _STEP_S * 1000
                    step += 1
            times.append(current)
            rates.append(float(bpm))
    return np.asarray(times, dtype=float), np.asarray(rates, dtype=float)


def merge_heart_rates(
    hr: Mapping[str, np.ndarray], record: Mapping[str, np.ndarray]
) -> np.ndarray | None:
    """The records' ``heart_rate`` with the ``hr`` messages merged in, as the SDK does it;
    ``None`` when nothing is merged (no hr messages, or messages the SDK would refuse).

    Each record gets ``int(mean + 0.5)`` of the expanded heart rates in (previous record time,
    its time]; the first record's window is the second before it. The walk over records and
    heart rates is the SDK's (one pass over each; a record sharing the previous record's time
    re-reads one heart rate).
    """
    if len(hr.get("event_timestamp", ())) == 0 or "timestamp" not in record:
        return None
    try:
        hr_t, hr_bpm = expand_heart_rates(hr)
    except _NoMerge:
        return None
    rec_t = _seconds(record["timestamp"])
    if not hr_t.size or not rec_t.size or np.isnan(rec_t).any():
        return None
    current = record.get("heart_rate")
    out = np.full(rec_t.size, np.nan) if current is None else current.astype(float).copy()
    times, rates = hr_t.tolist(), hr_bpm.tolist()
    n_hr = len(times)
    index = 0
    start: float | None = None
    for i, end in enumerate(rec_t.tolist()):  # the SDK's walk, one step per record or beat
        total, count = 0.0, 0
        if start is None:
            start = end
        if start == end:
            start -= 1
            index = index - 1 if index >= 1 else 0
        while index < n_hr:
            t = times[index]
            if start < t <= end:
                total += rates[index]
                count += 1
            elif t > end:
                if count:
                    out[i] = int(total / count + 0.5)
                start = end
                break
            index += 1
    return out
