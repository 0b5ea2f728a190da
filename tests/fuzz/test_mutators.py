"""The fuzz harness itself: mutants are reproducible, format-aware ones stay structurally
valid, and the classifier tells a clean result from a failure."""

from __future__ import annotations

import random
import struct

import pytest
from lxml import etree

from fuzz.classify import check_analysis, check_summary, classify, strict_json
from fuzz.mutate_fit import FIT_MUTATIONS, RECORD, TIMESTAMP_FIELD, fit_crc, walk
from fuzz.mutate_xml import XML_MUTATIONS, _point_times
from fuzz.plan import Mutant, build, plan
from fuzz.runner import RunResult
from fuzz.synth import fit_bytes, gpx_bytes, run_track, tcx_bytes

TRACK = run_track(120)
TS_MUTATIONS = ("ts_jump", "ts_back", "ts_reversed", "ts_shuffled", "ts_stray")


def _times(data: bytes) -> list[int]:
    """Every uint32 timestamp of a data message (records, session...)."""
    w = walk(data)
    out = []
    for pos, d in w.data:
        found = d.field_offset(TIMESTAMP_FIELD)
        if found and found[1] == 4:
            out.append(struct.unpack_from("<I", data, pos + 1 + found[0])[0])
    return out


def test_fit_walker_and_crc_on_a_written_file():
    data = fit_bytes(TRACK)
    w = walk(data)
    assert len([1 for _, d in w.data if d.global_num == RECORD]) == 120
    assert fit_crc(data[: w.data_end]) == struct.unpack_from("<H", data, w.data_end)[0]


@pytest.mark.parametrize("name", TS_MUTATIONS)
def test_fit_timestamp_mutations_keep_the_structure(name):
    data = fit_bytes(TRACK)
    for seed in range(20):
        out = FIT_MUTATIONS[f"fit_{name}"](data, random.Random(seed))
        assert len(out) == len(data)
        assert len(walk(out).data) == len(walk(data).data)
        if name in ("ts_reversed", "ts_shuffled"):
            assert sorted(_times(out)) == sorted(_times(data))
        else:
            assert _times(out) != _times(data)
        w = walk(out)
        fresh = fit_crc(out[: w.data_end]) == struct.unpack_from("<H", out, w.data_end)[0]
        assert fresh or out[-2:] == data[-2:]  # a new CRC, or (1 in 10) the old one kept


@pytest.mark.parametrize("writer", [gpx_bytes, tcx_bytes])
@pytest.mark.parametrize(
    "name",
    ["xml_ts_jump", "xml_ts_reversed", "xml_ts_point_off", "xml_num_huge", "xml_latlon_range"],
)
def test_xml_value_mutations_stay_well_formed(writer, name):
    data = writer(TRACK)
    for seed in range(10):
        out = XML_MUTATIONS[name](data, random.Random(seed))
        etree.fromstring(out)  # raises if not well formed
        assert out != data


def test_xml_time_mutations_move_point_times_only():
    data = gpx_bytes(TRACK)
    out = XML_MUTATIONS["xml_ts_reversed"](data, random.Random(0))
    before = [m.group(2) for m in _point_times(data)]
    after = [m.group(2) for m in _point_times(out)]
    assert after == before[::-1]


def test_entity_attacks_declare_entities():
    data = gpx_bytes(TRACK)
    for name in ("xml_billion_laughs", "xml_xxe", "xml_parameter_entity"):
        out = XML_MUTATIONS[name](data, random.Random(1))
        assert b"<!DOCTYPE" in out


def test_plan_is_deterministic_and_mutants_rebuild_identically():
    files = ["fit/a.fit", "gpx/b.gpx", "tcx/c.tcx"]
    assert plan(50, 7, files) == plan(50, 7, files)
    assert plan(50, 7, files) != plan(50, 8, files)
    mutant = Mutant("sample_runs/GarminRun5.8km.fit", "fit_ts_shuffled", 12345)
    try:
        assert build(mutant) == build(mutant)
    except FileNotFoundError:
        pytest.skip("sample_runs/ is not there")


def _result(code: int, stdout: str = "", stderr: str = "") -> RunResult:
    return RunResult([], code, None, stdout, stderr, 0.1, 100.0, False)


def test_classifier():
    good = '{"elapsed_s": 100, "n_samples": 50, "distance_m": 300, "max_hr": 150}'
    assert classify(_result(0, good), "summary").cls == "ok"
    assert classify(_result(0, good.replace("150", "NaN")), "summary").cls == "out_of_range"
    assert classify(_result(0, good.replace("150", "1e308")), "summary").cls == "out_of_range"
    assert classify(_result(2, "", "finishline: error: x.fit: bad\n"), "summary").cls == (
        "clean_error"
    )
    two = "finishline: error: x.gpx: malformed XML\n, line 3, column 5\n"
    assert classify(_result(2, "", two), "summary").cls == "two_line"
    assert classify(_result(3, "", "finishline: internal error: KeyError\n"), "analyze").cls == (
        "internal"
    )
    memory = "finishline: internal error: MemoryError: Unable to allocate 7 GiB\n"
    assert classify(_result(3, "", memory), "analyze").cls == "memory"
    with pytest.raises(ValueError):
        strict_json('{"a": Infinity}')


def test_physical_checks():
    assert check_summary({"elapsed_s": 3.2e7, "n_samples": 700}) != []
    assert check_summary({"elapsed_s": 3600, "n_samples": 700, "distance_m": 1e7}) != []
    ok = {"summary": {"elapsed_s": 3600, "moving_s": 3500, "distance_m": 10_000}}
    assert check_analysis(ok) == []
    assert check_analysis({**ok, "risk": [{"p_fail": 1.2}]}) != []
    assert check_analysis({**ok, "final_mile": {"pace_ratio": 0.001}}) != []
