"""Regression tests for the failure classes the fuzz run found, on small generated files.

Each broken file goes through ``finishline summary --json`` and ``finishline analyze --json``
in a forked child capped at 2 GiB and 30 s (as the fuzz harness runs it) and must come out as
strict JSON within physical ranges or a one-line error; the read activity must say what was
repaired.
"""

from __future__ import annotations

import struct
import warnings
from pathlib import Path

import numpy as np
import pytest

import finishline.analysis  # imported once here, not in every forked child
import finishline.cli  # noqa: F401
from finishline import read_bytes
from finishline.errors import CorruptFileError
from fuzz.classify import classify, strict_json
from fuzz.runner import run_cli
from fuzz.synth import FIT_EPOCH_S, WRITERS, Track, definition, fit_bytes, fit_file, run_track

YEAR_S = 365 * 86_400.0
THIRTY_YEARS_S = 30 * 365.25 * 86_400.0
TRACK = run_track()  # 600 points, 3 s apart: 29:57 and 5.39 km
SPAN_S = float(TRACK.t_s[-1] - TRACK.t_s[0])
DISTANCE_M = float(TRACK.distance_m[-1])


def _read(track: Track, fmt: str):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        act = read_bytes(WRITERS[fmt](track), f"broken.{fmt}")
    return act, [str(w.message) for w in caught]


def _cli(tmp_path: Path, track: Track, fmt: str) -> dict[str, dict]:
    """Run summary and analyze on the file; both must be ok or a clean error, in bounds."""
    path = tmp_path / f"broken.{fmt}"
    path.write_bytes(WRITERS[fmt](track))
    out = {}
    for name, argv in {
        "summary": ["summary", str(path), "--json"],
        "analyze": ["analyze", str(path), "--json", "-"],
    }.items():
        result = run_cli(argv, workdir=str(tmp_path))
        cls, detail, _ = classify(result, name)
        assert cls in ("ok", "clean_error"), (name, cls, detail, result.stderr[-2000:])
        assert result.seconds < 30 and result.peak_rss_mb < 1500
        out[name] = strict_json(result.stdout) if cls == "ok" else {"error": detail}
    return out


@pytest.mark.parametrize("fmt", ["fit", "gpx", "tcx"])
def test_clock_jump_of_a_year_is_closed(tmp_path, fmt):
    t = TRACK.t_s.copy()
    t[250:] += YEAR_S
    act, caught = _read(TRACK.with_(t_s=t), fmt)
    assert any("jumped forward 365 days at 2.2 km" in w for w in caught), caught
    assert act.samples["elapsed_s"].iloc[-1] == pytest.approx(SPAN_S, abs=3.0)
    assert len(act.samples) == 600
    out = _cli(tmp_path, TRACK.with_(t_s=t), fmt)
    assert out["summary"]["elapsed_s"] == pytest.approx(SPAN_S, abs=3.0)
    assert out["analyze"]["summary"]["distance_m"] == pytest.approx(DISTANCE_M, rel=0.01)
    assert 0.8 < out["analyze"]["final_mile"]["pace_ratio"] < 1.25


@pytest.mark.parametrize("fmt", ["fit", "gpx", "tcx"])
def test_a_point_thirty_years_off_is_dropped(tmp_path, fmt):
    t = TRACK.t_s.copy()
    t[300] += THIRTY_YEARS_S  # its position is mid-run: it cannot continue from the last point
    act, caught = _read(TRACK.with_(t_s=t), fmt)
    assert any("dropped 1 record" in w for w in caught), caught
    assert len(act.samples) == 599
    assert act.samples["elapsed_s"].iloc[-1] == pytest.approx(SPAN_S)
    out = _cli(tmp_path, TRACK.with_(t_s=t), fmt)
    assert out["summary"]["elapsed_s"] == pytest.approx(SPAN_S)


@pytest.mark.parametrize("fmt", ["gpx", "tcx"])
def test_a_first_point_thirty_years_early_joins_the_run(fmt):
    t = TRACK.t_s.copy()
    t[0] -= THIRTY_YEARS_S  # it continues into the second point: a clock jump, not a stray
    act, caught = _read(TRACK.with_(t_s=t), fmt)
    assert any("earlier records were shifted forward" in w for w in caught), caught
    assert len(act.samples) == 600
    assert act.meta.start_time.timestamp() == pytest.approx(TRACK.t_s[0], abs=3.0)


@pytest.mark.parametrize("fmt", ["fit", "tcx"])
@pytest.mark.parametrize("how", ["shuffled", "reversed"])
def test_times_out_of_order_against_distance_are_reordered(tmp_path, fmt, how):
    rng = np.random.default_rng(3)
    order = rng.permutation(600) if how == "shuffled" else np.arange(600)[::-1]
    broken = TRACK.with_(t_s=TRACK.t_s[order])  # each record keeps its values, times move
    act, caught = _read(broken, fmt)
    assert any("out of order against the distance" in w for w in caught), caught
    s = act.samples
    np.testing.assert_allclose(s["distance_m"], TRACK.distance_m, atol=0.01)
    np.testing.assert_allclose(s["heart_rate_bpm"], TRACK.hr, atol=0.51)  # FIT: whole bpm
    assert s["elapsed_s"].iloc[-1] == pytest.approx(SPAN_S)
    out = _cli(tmp_path, broken, fmt)
    assert out["summary"]["distance_m"] == pytest.approx(DISTANCE_M, rel=0.001)
    assert 0.8 < out["analyze"]["final_mile"]["pace_ratio"] < 1.25


def test_shuffled_distance_is_discarded_and_recomputed_from_positions(tmp_path):
    rng = np.random.default_rng(4)
    broken = TRACK.with_(distance_m=TRACK.distance_m[rng.permutation(600)])
    act, caught = _read(broken, "tcx")
    assert any("distance was discarded and recomputed from positions" in w for w in caught)
    assert act.meta.distance_source == "positions"
    assert np.nanmax(act.samples["distance_m"]) == pytest.approx(DISTANCE_M, rel=0.01)
    out = _cli(tmp_path, broken, "tcx")
    assert out["summary"]["distance_m"] == pytest.approx(DISTANCE_M, rel=0.01)


@pytest.mark.parametrize("fmt", ["gpx", "tcx"])
@pytest.mark.parametrize("count", [20, 600])
def test_positions_out_of_range_are_removed(tmp_path, fmt, count):
    lat = TRACK.lat.copy()
    lat[np.linspace(0, 599, count).astype(int)] = 123.4
    act, caught = _read(TRACK.with_(lat=lat), fmt)
    assert any(f"{count} positions outside the range of latitude" in w for w in caught), caught
    assert act.samples["lat_deg"].dropna().between(-90, 90).all()
    out = _cli(tmp_path, TRACK.with_(lat=lat), fmt)
    if count == 20 or fmt == "tcx":  # GPX without positions has no distance at all
        assert out["summary"]["distance_m"] == pytest.approx(DISTANCE_M, rel=0.01)


@pytest.mark.parametrize("fmt", ["gpx", "tcx"])
def test_a_1e308_heart_rate_and_distance_are_removed(tmp_path, fmt):
    hr = TRACK.hr.copy()
    hr[[10, 200, 400]] = 1e308
    d = TRACK.distance_m.copy()
    d[300] = 1e308
    broken = TRACK.with_(hr=hr, distance_m=d)
    act, caught = _read(broken, fmt)
    assert any("3 heart-rate values outside 25-250 bpm were removed" in w for w in caught)
    out = _cli(tmp_path, broken, fmt)
    assert out["summary"]["max_hr"] <= 250
    assert out["summary"]["distance_m"] == pytest.approx(DISTANCE_M, rel=0.01)


def test_a_distance_jump_of_a_thousand_km_adds_nothing(tmp_path):
    d = TRACK.distance_m.copy()
    d[300:] += 1e6
    act, caught = _read(TRACK.with_(distance_m=d), "tcx")
    assert any("distance jump faster than 100 m/s removed" in w for w in caught), caught
    out = _cli(tmp_path, TRACK.with_(distance_m=d), "tcx")
    assert out["summary"]["distance_m"] == pytest.approx(DISTANCE_M - 9.0, rel=0.01)


def test_heart_rate_254_in_fit_is_removed(tmp_path):
    hr = TRACK.hr.copy()
    hr[::7] = 254.0
    act, caught = _read(TRACK.with_(hr=hr), "fit")
    assert act.samples["heart_rate_bpm"].max() <= 250
    out = _cli(tmp_path, TRACK.with_(hr=hr), "fit")
    assert out["summary"]["max_hr"] <= 250


def test_a_real_pause_is_kept():
    # The watch stopped for two hours where the runner stood: the record after the gap is
    # where the one before it was.
    place = np.r_[np.arange(300), np.arange(299, 599)]
    broken = TRACK.taken(place).with_(t_s=np.r_[TRACK.t_s[:300], TRACK.t_s[300:] + 7200.0])
    for fmt in ("fit", "tcx"):
        act, caught = _read(broken, fmt)
        assert not caught, caught
        assert act.samples["elapsed_s"].iloc[-1] == pytest.approx(SPAN_S + 7200.0)


def test_parts_days_apart_keep_the_largest(tmp_path):
    t = TRACK.t_s.copy()
    t[400:] += 10 * 86_400.0
    lat = TRACK.lat.copy()
    lat[400:] += 1.0  # elsewhere: another recording, not a clock jump
    broken = TRACK.with_(t_s=t, lat=lat)
    act, caught = _read(broken, "gpx")
    assert any(
        "2 parts with gaps of 10 days or more between them: kept the largest (400 of 600" in w
        for w in caught
    )
    assert len(act.samples) == 400
    _cli(tmp_path, broken, "gpx")


def test_a_sparse_recording_over_weeks_is_refused(tmp_path):
    n = 120
    sparse = run_track(n, interval_s=3 * 3600.0, speed_mps=0.1)  # 15 days, a point every 3 h
    with pytest.raises(CorruptFileError, match="span 15 days, longer than any activity"):
        read_bytes(WRITERS["gpx"](sparse), "sparse.gpx")
    out = _cli(tmp_path, sparse, "gpx")
    assert "longer than any activity" in out["summary"]["error"]


def test_shuffled_gpx_times_drop_the_positions(tmp_path):
    # GPX has no device distance to put shuffled times back in order: the zigzag track goes
    rng = np.random.default_rng(5)
    broken = TRACK.with_(t_s=TRACK.t_s[rng.permutation(600)])
    act, caught = _read(broken, "gpx")
    assert any("positions, distance and speed were discarded" in w for w in caught), caught
    assert act.samples["lat_deg"].isna().all() and act.meta.distance_source is None
    out = _cli(tmp_path, broken, "gpx")
    assert out["summary"]["distance_m"] is None and out["summary"]["elapsed_s"] == SPAN_S
    assert "error" in out["analyze"]  # no distance: a clean one-line error


@pytest.mark.parametrize("fmt", ["fit", "tcx"])
def test_a_record_an_hour_early_at_the_start_is_dropped(fmt):
    t = TRACK.t_s.copy()
    t[300] = TRACK.t_s[0] - 3000.0  # a mid-run record stamped 50 min before the start
    act, caught = _read(TRACK.with_(t_s=t), fmt)
    assert any("dropped 1 record at the start whose distance does not fit" in w for w in caught)
    assert act.samples["elapsed_s"].iloc[-1] == pytest.approx(SPAN_S)
    assert (np.diff(act.samples["distance_m"]) >= 0).all()


def test_a_pause_far_longer_than_the_recording_splits_it():
    short = run_track(40, interval_s=1.0, speed_mps=0.0)  # 40 s standing, then 6 h later 40 s
    t = short.t_s.copy()
    t[20:] += 6 * 3600.0
    act, caught = _read(short.with_(t_s=t), "fit")
    assert any("2 parts with gaps of 6 hours or more" in w for w in caught), caught
    assert act.samples["elapsed_s"].iloc[-1] < 60


def test_summary_ascent_without_distance_ignores_altimeter_jumps(tmp_path):
    still = run_track(120, interval_s=1.0, speed_mps=0.0)
    alt = np.where(np.arange(120) % 2, 3000.0, 200.0)  # 2,800 m up and down every second
    out = _cli(tmp_path, still.with_(altitude_m=alt), "fit")
    assert out["summary"]["ascent_m"] < 10


def test_a_fit_accumulated_field_with_every_value_invalid_reads(tmp_path):
    # compressed_speed_distance (record field 8) accumulates into distance; a corrupt
    # definition can leave every value of it invalid (0xFFFFFF), which once ended in an
    # IndexError over no values at all
    created = int(TRACK.t_s[0]) - FIT_EPOCH_S
    body = bytearray(definition(0, 0, [(0, 1, 0x00), (1, 2, 0x84), (4, 4, 0x86)]))
    body += struct.pack("<BBHI", 0, 4, 1, created)
    body += definition(1, 20, [(253, 4, 0x86), (8, 3, 0x0D), (3, 1, 0x02)])
    for i in range(60):
        body += struct.pack("<BI3sB", 1, created + i, b"\xff\xff\xff", 140)
    data = fit_file(bytes(body))
    act = read_bytes(data, "invalid.fit")
    assert len(act.samples) == 60 and act.samples["distance_m"].isna().all()
    assert act.samples["heart_rate_bpm"].eq(140).all()
    path = tmp_path / "invalid.fit"
    path.write_bytes(data)
    result = run_cli(["summary", str(path), "--json"], workdir=str(tmp_path))
    assert classify(result, "summary").cls == "ok", result.stderr


@pytest.mark.parametrize(
    ("set_back_s", "fmt"),
    [(86_400.0, "fit"), (86_400.0, "gpx"), (86_400.0, "tcx"), (2700.0, "fit"), (2700.0, "tcx")],
)
def test_clock_set_back_puts_the_parts_back_in_order(tmp_path, set_back_s, fmt):
    # the second half set back a day, or 45 min: then it ends 15 min before the first half
    # starts (a gap shorter than a clock jump, but the device distance drops 2.7 km across it,
    # so GPX, without device distance, is not a case)
    t = TRACK.t_s.copy()
    t[300:] -= set_back_s
    act, caught = _read(TRACK.with_(t_s=t), fmt)
    assert any("clock was set back" in w for w in caught), caught
    np.testing.assert_allclose(act.samples["distance_m"], TRACK.distance_m, rtol=1e-3, atol=0.01)
    assert act.samples["elapsed_s"].iloc[-1] == pytest.approx(SPAN_S, abs=3.0)
    out = _cli(tmp_path, TRACK.with_(t_s=t), fmt)
    assert out["summary"]["elapsed_s"] == pytest.approx(SPAN_S, abs=3.0)
    assert all(s["pace_s_per_km"] > 300 for s in out["analyze"]["splits"] if not s["partial"])


def test_timer_events_with_broken_times_are_dropped(tmp_path):
    # times shuffled among the records, and a timer stop 10 min into the 30 min run with no
    # start after it: the records (put back in distance order) run on for 3.6 km "stopped"
    rng = np.random.default_rng(6)
    broken = TRACK.with_(t_s=TRACK.t_s[rng.permutation(600)])
    events = ((TRACK.t_s[0], "start"), (TRACK.t_s[200], "stop_all"))
    data = fit_bytes(broken, timer_events=events)
    act = read_bytes(data, "events.fit")
    assert any("timer events were dropped" in w for w in act.meta.warnings), act.meta.warnings
    assert (act.events["event"] != "timer").all()
    path = tmp_path / "events.fit"
    path.write_bytes(data)
    result = run_cli(["analyze", str(path), "--json", "-"], workdir=str(tmp_path))
    assert classify(result, "analyze").cls == "ok", result.stderr
    summary = strict_json(result.stdout)["summary"]
    assert summary["moving_s"] > 0.9 * SPAN_S
    # the same events in a file whose times are sound are the device's word: kept
    kept = read_bytes(fit_bytes(TRACK, timer_events=events), "sound.fit")
    assert (kept.events["event"] == "timer").sum() == 2


@pytest.mark.parametrize("fmt", ["fit", "tcx"])
def test_distance_starting_thousands_of_km_up_is_counted_from_the_first_record(tmp_path, fmt):
    # an odometer or a corrupt first value: 7,029 km before the first step (it once made a
    # 7,000 km "race" whose risk timeline needed a 7,023 x 7,030 matrix)
    broken = TRACK.with_(distance_m=TRACK.distance_m + 7_029_409.59)
    act, caught = _read(broken, fmt)
    assert any("distance starts at 7,029,410 m: counted from the first record" in w for w in caught)
    np.testing.assert_allclose(act.samples["distance_m"], TRACK.distance_m, atol=0.02)
    out = _cli(tmp_path, broken, fmt)
    assert out["analyze"]["summary"]["distance_m"] == pytest.approx(DISTANCE_M, rel=0.01)
    still = TRACK.with_(distance_m=np.full(600, 7_029_409.59))  # constant: no distance covered
    assert "no distance" in _cli(tmp_path, still, fmt)["analyze"]["error"]
