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


def _beats(hr: Mapping[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every beat of the ``hr`` messages: its message, event time (s) and heart rate, with
    the SDK's checks (one event per anchor message, as many rates as event times)."""
    if "event_timestamp" not in hr or "filtered_bpm" not in hr:
        raise _NoMerge("hr messages without event_timestamp or filtered_bpm")
    anchors = ~np.isnan(_seconds(hr["timestamp"])) if "timestamp" in hr else None
    message, events, rates = [], [], []
    for i, (event, bpm) in enumerate(
        zip(hr["event_timestamp"].tolist(), hr["filtered_bpm"].tolist(), strict=True)
    ):  # one step per hr message (a few per minute), not per beat
        event, bpm = _as_list(event), _as_list(bpm)
        if len(event) != len(bpm) or (anchors is not None and anchors[i] and len(event) != 1):
            raise _NoMerge("an hr message with mismatched event times and heart rates")
        message += [i] * len(event)
        events += event
        rates += bpm
    try:
        beats = np.asarray(events, dtype=float), np.asarray(rates, dtype=float)
    except (TypeError, ValueError) as exc:
        raise _NoMerge("an hr message with an invalid beat") from exc
    if np.isnan(beats[0]).any() or np.isnan(beats[1]).any():
        raise _NoMerge("an hr message with an invalid beat")
    return np.asarray(message, dtype=np.int64), beats[0], beats[1]


def expand_heart_rates(hr: Mapping[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Times (s since the FIT epoch) and heart rates (1/min) of the beats of ``hr`` messages,
    every 0.25 s across gaps of up to 5 s (the SDK's ``expand_heart_rates``).

    Each beat's time is its anchor message's time (``timestamp`` + ``fractional_timestamp``)
    plus its event time minus the anchor's (a 32-bit rollover of the event time undone); a
    gap of more than 0.25 s to the previous beat is filled with the previous heart rate every
    0.25 s, at most 20 times.

    Raises
    ------
    _NoMerge
        Where the SDK raises (no anchor time, mismatched lengths, a beat time going back).
    """
    message, events, rates = _beats(hr)
    if message.size == 0:
        return np.zeros(0), np.zeros(0)
    stamps = _seconds(hr["timestamp"]) if "timestamp" in hr else np.full(len(hr["_file"]), np.nan)
    is_anchor = ~np.isnan(stamps)
    fractions = hr["fractional_timestamp"] if "fractional_timestamp" in hr else None
    if is_anchor.any() and (fractions is None or np.isnan(fractions[is_anchor]).any()):
        raise _NoMerge("an anchor hr message without fractional_timestamp")
    # the anchor each message counts from: the last anchor message at or before it
    last_anchor = np.maximum.accumulate(np.where(is_anchor, np.arange(is_anchor.size), -1))
    anchor_of = last_anchor[message]
    if (anchor_of < 0).any():
        raise _NoMerge("hr messages before any anchor")
    first_beat = np.searchsorted(message, np.arange(is_anchor.size))  # each message's 1st beat
    anchor_time = (stamps + np.nan_to_num(fractions if fractions is not None else 0.0))[anchor_of]
    anchor_event = events[first_beat[anchor_of]]
    back = events < anchor_event
    if (back & (anchor_event - events <= _ROLLOVER_S)).any():
        raise _NoMerge("an event timestamp before its anchor")
    events = np.where(back, events + _ROLLOVER_S, events)
    times = anchor_time + (events - anchor_event)
    gap_ms = np.zeros(times.size)
    gap_ms[1:] = np.abs(np.diff(times)) * 1000
    fills = np.where(gap_ms > _STEP_S * 1000, np.ceil(gap_ms / (_STEP_S * 1000)) - 1, 0)
    fills = np.minimum(fills, _MAX_STEPS).astype(np.int64)
    beat = np.repeat(np.arange(times.size), fills + 1)
    place = np.arange(beat.size) - np.repeat(np.cumsum(fills + 1) - (fills + 1), fills + 1)
    own = place == fills[beat]
    previous = np.maximum(beat - 1, 0)
    out_t = np.where(own, times[beat], times[previous] + _STEP_S * (place + 1))
    out_hr = np.where(own, rates[beat], rates[previous])
    return out_t, out_hr


def merge_heart_rates(
    hr: Mapping[str, np.ndarray], record: Mapping[str, np.ndarray]
) -> np.ndarray | None:
    """The records' ``heart_rate`` with the ``hr`` messages merged in, as the SDK does it;
    ``None`` when nothing is merged (no hr messages, or messages the SDK would refuse).

    Each record gets ``int(mean + 0.5)`` of the expanded heart rates in (previous record time,
    its time]; the first record's window is the second before it; a record sharing the
    previous record's time gets the last heart rate of its second; a record after the last
    heart rate keeps its own value. Records in time order and heart rates in time order (the
    usual case) are merged with array operations; otherwise the SDK's walk is followed step
    by step (:func:`_merge_walk`).
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
    if (np.diff(rec_t) < 0).any() or (np.diff(hr_t) < 0).any():
        return _merge_walk(hr_t, hr_bpm, rec_t, out)
    after = np.searchsorted(hr_t, rec_t, side="right")  # first heart rate after each record
    closes = after < hr_t.size  # the SDK closes a record's window at a later heart rate
    low = np.empty_like(rec_t)
    low[0] = rec_t[0] - 1
    low[1:] = rec_t[:-1]
    repeated = np.zeros(rec_t.size, dtype=bool)
    repeated[1:] = rec_t[1:] == rec_t[:-1]
    low[repeated] = rec_t[repeated] - 1
    start = np.searchsorted(hr_t, low, side="right")
    # a repeated time looks at one heart rate again: the last up to it, if within its second
    again = np.maximum(after - 1, 0)
    again = np.where(hr_t[again] > low, again, after)
    start[repeated] = again[repeated]
    total = np.concatenate(([0.0], np.cumsum(hr_bpm)))
    count = after - start
    mean = (total[after] - total[start]) / np.maximum(count, 1)
    assign = closes & (count > 0)
    out[assign] = np.floor(mean[assign] + 0.5)
    return out


def _merge_walk(
    times: np.ndarray, rates: np.ndarray, rec_t: np.ndarray, out: np.ndarray
) -> np.ndarray:
    """The SDK's merge, one step per record or heart rate, for records or heart rates out of
    time order."""
    t_list, hr_list = times.tolist(), rates.tolist()
    n_hr = len(t_list)
    index = 0
    start: float | None = None
    for i, end in enumerate(rec_t.tolist()):
        total, count = 0.0, 0
        if start is None:
            start = end
        if start == end:
            start -= 1
            index = index - 1 if index >= 1 else 0
        while index < n_hr:
            t = t_list[index]
            if start < t <= end:
                total += hr_list[index]
                count += 1
            elif t > end:
                if count:
                    out[i] = int(total / count + 0.5)
                start = end
                break
            index += 1
    return out
