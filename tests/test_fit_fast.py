"""The fast FIT engine on tiny FIT files built here byte by byte, with known answers.

Each file is also decoded by the fitparse reference: the fast engine must give the same
tables, and the known values below.
"""

from __future__ import annotations

import struct

import numpy as np
import pandas as pd
import pytest
from fitparse.records import Crc
from hypothesis import given, settings
from hypothesis import strategies as st
from test_fit_fast_differential import assert_same_messages

from finishline.errors import CorruptFileError
from finishline.io import fit_fast, fit_fitparse
from finishline.io.fit_crc import crc16
from finishline.io.fit_messages import FIRST_ABSOLUTE_TIME, RELATIVE_LIMIT_S, is_relative_time

FIT_EPOCH = pd.Timestamp("1989-12-31", tz="UTC")
T0 = 1_000_000_000  # FIT seconds; a multiple of 32, so compressed offsets start from 0

# Base type identifiers (FIT SDK table 4-6).
ENUM, UINT8, SINT16, UINT16, UINT32, STRING, UINT8Z, BYTE = 0, 2, 0x83, 0x84, 0x86, 7, 0x0A, 0x0D


def definition(local: int, global_num: int, fields, big=False, dev_fields=()) -> bytes:
    """A definition message; ``fields`` are (def_num, size, base_type)."""
    header = 0x40 | local | (0x20 if dev_fields else 0)
    out = struct.pack(">BBBHB" if big else "<BBBHB", header, 0, int(big), global_num, len(fields))
    out += b"".join(struct.pack("3B", *f) for f in fields)
    if dev_fields:
        out += bytes([len(dev_fields)]) + b"".join(struct.pack("3B", *f) for f in dev_fields)
    return out


def message(local: int, fmt: str, *values, big=False, time_offset: int | None = None) -> bytes:
    """A data message (normal header, or compressed-timestamp header with ``time_offset``)."""
    header = 0x80 | (local << 5) | time_offset if time_offset is not None else local
    return bytes([header]) + struct.pack((">" if big else "<") + fmt, *values)


def fit_file(body: bytes) -> bytes:
    """A complete FIT file: 14-byte header with its CRC, the messages, the file CRC."""
    head = struct.pack("<BBHI4s", 14, 0x20, 2132, len(body), b".FIT")
    head += struct.pack("<H", Crc.calculate(head))
    data = head + body
    return data + struct.pack("<H", Crc.calculate(data))


def both(data: bytes):
    """Decode with both engines, check they agree, return the fast result."""
    ref = fit_fitparse.decode(data)
    got = fit_fast.decode(data)
    assert_same_messages(ref, got)
    return got


FILE_ID = definition(0, 0, [(0, 1, ENUM), (1, 2, UINT16)]) + message(0, "BH", 4, 1)
RECORD_FIELDS = [(253, 4, UINT32), (3, 1, UINT8), (6, 2, UINT16), (5, 4, UINT32), (2, 2, UINT16)]


def record(ts, hr, speed_raw, dist_raw, alt_raw, big=False):
    return message(1, "IBHIH", ts, hr, speed_raw, dist_raw, alt_raw, big=big)


@pytest.mark.parametrize("big", [False, True])
def test_scaled_fields_components_and_endianness(big):
    body = FILE_ID + definition(1, 20, RECORD_FIELDS, big=big)
    body += record(T0, 150, 3500, 1234567, 3000, big=big)
    body += record(T0 + 1, 151, 3600, 1234927, 3005, big=big)
    rec = both(fit_file(body)).tables["record"]
    assert rec["heart_rate"].tolist() == [150, 151]
    assert rec["speed"].tolist() == [3.5, 3.6]
    assert rec["enhanced_speed"].tolist() == [3.5, 3.6]  # the speed field's component
    assert rec["distance"].tolist() == [12345.67, 12349.27]
    assert rec["altitude"].tolist() == [100.0, 101.0]  # raw / 5 - 500
    assert rec["enhanced_altitude"].tolist() == [100.0, 101.0]
    assert rec["timestamp"].tolist() == [FIT_EPOCH + pd.Timedelta(seconds=T0 + i) for i in (0, 1)]
    assert str(rec["timestamp"].dtype).endswith("UTC]")


def test_invalid_sentinels_are_missing():
    body = FILE_ID + definition(1, 20, RECORD_FIELDS)
    body += record(T0, 0xFF, 0xFFFF, 0xFFFFFFFF, 0xFFFF)
    body += record(T0 + 1, 140, 3000, 100, 2600)
    rec = both(fit_file(body)).tables["record"]
    for col in ("heart_rate", "speed", "enhanced_speed", "distance", "altitude"):
        assert np.isnan(rec[col].iloc[0]) and not np.isnan(rec[col].iloc[1]), col


@pytest.mark.parametrize("local", [0, 1, 2, 3])
def test_compressed_timestamps_roll_over_every_32_seconds(local):
    body = FILE_ID + definition(1, 20, RECORD_FIELDS) + record(T0 + 30, 100, 1000, 0, 2500)
    body += definition(local, 20, [(3, 1, UINT8)])
    offsets = [1, 20, 3, 3, 31]  # (T0 + 30) % 32 == 30
    for k, off in enumerate(offsets):
        body += message(local, "B", 101 + k, time_offset=off)
    rec = both(fit_file(body)).tables["record"]
    seconds = (rec["timestamp"] - FIT_EPOCH).dt.total_seconds().astype(int).tolist()
    # 30 -> 33 (1 after a wrap), 52, 67 (wrap), 67 (same), 95
    assert seconds == [T0 + 30, T0 + 33, T0 + 52, T0 + 67, T0 + 67, T0 + 95]
    assert rec["heart_rate"].tolist() == [100, 101, 102, 103, 104, 105]


def test_accumulated_distance_from_compressed_speed_distance():
    body = FILE_ID + definition(1, 20, [(253, 4, UINT32), (8, 3, BYTE)])
    # 12-bit speed (1/100 m/s) and 12-bit distance (1/16 m); distance wraps at 4096
    for i, (speed, dist) in enumerate([(250, 4000), (260, 100), (270, 300)]):
        packed = speed | (dist << 12)
        body += message(1, "I3s", T0 + i, packed.to_bytes(3, "little"))
    rec = both(fit_file(body)).tables["record"]
    assert rec["speed"].tolist() == [2.5, 2.6, 2.7]
    assert rec["distance"].tolist() == [4000 / 16, (4096 + 100) / 16, (4096 + 300) / 16]


def test_developer_field_named_with_units():
    body = FILE_ID + definition(2, 207, [(3, 1, UINT8)]) + message(2, "B", 0)
    body += definition(3, 206, [(0, 1, UINT8), (1, 1, UINT8), (2, 1, UINT8), (3, 8, STRING),
                                (8, 4, STRING)])  # fmt: skip
    body += message(3, "BBB8s4s", 0, 7, UINT16, b"power\x00\x00\x00", b"W\x00\x00\x00")
    body += definition(1, 20, [(253, 4, UINT32)], dev_fields=[(7, 2, 0)])
    body += message(1, "IH", T0, 250) + message(1, "IH", T0 + 1, 0xFFFF)
    got = both(fit_file(body))
    assert got.tables["record"]["power"].tolist()[0] == 250
    assert np.isnan(got.tables["record"]["power"].tolist()[1])
    assert got.units["record"]["power"] == "W"


DEV_POWER = (
    definition(2, 207, [(3, 1, UINT8)])
    + message(2, "B", 0)
    + definition(3, 206, [(0, 1, UINT8), (1, 1, UINT8), (2, 1, UINT8), (3, 8, STRING)])
    + message(3, "BBB8s", 0, 7, UINT16, b"power\x00\x00\x00")
)
DEV_RECORD = definition(1, 20, [(253, 4, UINT32)], dev_fields=[(7, 2, 0)])


def test_reference_engine_forgets_developer_fields_of_earlier_files():
    described = fit_file(FILE_ID + DEV_POWER + DEV_RECORD + message(1, "IH", T0, 250))
    undescribed = fit_file(FILE_ID + DEV_RECORD + message(1, "IH", T0, 250))
    fresh = fit_fitparse.decode(undescribed)
    # fitparse alone would now remember field 7 of developer 0 as "power"
    assert "power" in fit_fitparse.decode(described).tables["record"].columns
    after = fit_fitparse.decode(undescribed)
    assert_same_messages(fresh, after)
    assert "record" not in after.tables  # the undeclared developer field stops decoding
    assert after.warnings and "decoding stopped" in after.warnings[0]
    assert_same_messages(after, fit_fast.decode(undescribed))


def test_relative_timestamps_are_fit_epoch_based():
    """date_time values below 0x10000000 count from device power-on: both engines keep them
    on the FIT-epoch time line, compressed timestamps included, with no unit."""
    start = 16_441_241  # a Garmin FR70's power-on seconds, as in the corpus files
    body = definition(0, 0, [(0, 1, ENUM), (1, 2, UINT16), (4, 4, UINT32)])
    body += message(0, "BHI", 4, 1, start)  # file_id.time_created, relative too
    body += definition(1, 20, RECORD_FIELDS) + record(start, 120, 3000, 0, 2600)
    body += definition(2, 20, [(3, 1, UINT8)])
    body += message(2, "B", 121, time_offset=(start + 3) % 32)
    body += record(RELATIVE_LIMIT_S - 1, 122, 3000, 0, 2600)  # the last relative second
    body += record(RELATIVE_LIMIT_S, 123, 3000, 0, 2600)  # the first absolute one
    got = both(fit_file(body))
    rec = got.tables["record"]
    assert str(rec["timestamp"].dtype) == "datetime64[us, UTC]"
    seconds = (rec["timestamp"] - FIT_EPOCH).dt.total_seconds().astype(int).tolist()
    assert seconds == [start, start + 3, RELATIVE_LIMIT_S - 1, RELATIVE_LIMIT_S]
    assert is_relative_time(rec["timestamp"]).tolist() == [True, True, True, False]
    assert rec["timestamp"].iloc[-1] == FIRST_ABSOLUTE_TIME
    created = got.tables["file_id"]["time_created"]
    assert created.iloc[0] == FIT_EPOCH + pd.Timedelta(seconds=start)
    assert "timestamp" not in got.units["record"]
    assert "time_created" not in got.units.get("file_id", {})


def test_invalid_timestamps_are_nat_in_microseconds():
    body = FILE_ID + definition(1, 20, RECORD_FIELDS) + record(0xFFFFFFFF, 120, 3000, 0, 2600)
    rec = both(fit_file(body)).tables["record"]
    assert str(rec["timestamp"].dtype) == "datetime64[us, UTC]"
    assert rec["timestamp"].isna().all()


def test_strings_enums_and_zero_invalid_types():
    body = definition(0, 0, [(0, 1, ENUM), (1, 2, UINT16), (2, 2, UINT16), (8, 6, STRING)])
    body += message(0, "BHH6s", 4, 1, 0xFFFF, b"fr\x00xxx") + message(0, "BHH6s", 99, 255, 5, b"")
    body += definition(1, 23, [(2, 1, UINT8Z), (4, 2, SINT16)])  # device_info
    body += message(1, "Bh", 0, 0x7FFF) + message(1, "Bh", 3, -5)
    got = both(fit_file(body))
    file_id = got.tables["file_id"]
    assert file_id["type"].tolist()[0] == "activity" and file_id["type"].tolist()[1] == 99
    assert file_id["manufacturer"].tolist() == ["garmin", "development"]
    assert file_id["product_name"].tolist()[0] == "fr"
    device = got.tables["device_info"]
    assert np.isnan(device["manufacturer"].iloc[0]) or device["manufacturer"].iloc[0] is None


def test_truncated_file_keeps_complete_messages_with_warning():
    body = FILE_ID + definition(1, 20, RECORD_FIELDS)
    body += b"".join(record(T0 + i, 120 + i, 3000, 100 * i, 2600) for i in range(5))
    data = fit_file(body)
    cut = data[: len(data) - 2 - 8]  # drop the CRC and most of the last record
    got = both(cut)
    assert got.tables["record"]["heart_rate"].tolist() == [120, 121, 122, 123]
    assert got.warnings == ["file ends early (truncated after 5 messages)"]


def test_bad_crc_is_read_with_a_warning():
    body = FILE_ID + definition(1, 20, RECORD_FIELDS) + record(T0, 130, 3000, 0, 2600)
    data = bytearray(fit_file(body))
    data[-1] ^= 0xFF
    got = both(bytes(data))
    assert got.warnings[0].startswith("CRC mismatch")
    assert got.tables["record"]["heart_rate"].tolist() == [130]


def test_broken_header_is_corrupt():
    data = bytearray(fit_file(FILE_ID))
    data[8:12] = b"XFIT"
    with pytest.raises(CorruptFileError):
        fit_fast.decode(bytes(data), "broken.fit")


def test_chained_files_count_and_file_column():
    one = fit_file(FILE_ID + definition(1, 20, RECORD_FIELDS) + record(T0, 1, 0, 0, 0))
    two = fit_file(FILE_ID + definition(1, 20, RECORD_FIELDS) + record(T0 + 5, 2, 0, 0, 0))
    got = both(one + two)
    assert got.n_files == 2
    assert got.tables["record"]["_file"].tolist() == [0, 1]


@given(st.binary(max_size=600))
def test_crc16_matches_the_sdk_algorithm(data):
    assert crc16(data) == Crc.calculate(data)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 0xFFFFFFFF), st.integers(0, 255), st.integers(0, 0xFFFF),
            st.integers(0, 0xFFFFFFFF), st.integers(0, 0xFFFF), st.booleans(),
            st.integers(0, 31),
        ),
        min_size=1, max_size=30,
    )
)  # fmt: skip
def test_random_records_match_fitparse(rows):
    body = FILE_ID + definition(1, 20, RECORD_FIELDS) + definition(2, 20, [(3, 1, UINT8)])
    for ts, hr, speed, dist, alt, compressed, offset in rows:
        if compressed:
            body += message(2, "B", hr, time_offset=offset)
        else:
            body += record(ts, hr, speed, dist, alt)
    both(fit_file(body))
