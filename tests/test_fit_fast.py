"""The fast FIT engine on tiny FIT files built here byte by byte, with known answers.

Each file the Garmin FIT SDK can read is also decoded by it: the fast engine must give the same
messages (:func:`agree`). Files with constructs the SDK stops at (compressed timestamps, an
unknown base type) are checked against their known answers and the SDK's partial reading.
"""

from __future__ import annotations

import struct

import numpy as np
import pandas as pd
import pytest
from garmin_fit_sdk import CrcCalculator
from hypothesis import given, settings
from hypothesis import strategies as st
from test_fit_sdk_reference import message_differences, sdk_decode

from finishline.errors import CorruptFileError
from finishline.io import fit_fast
from finishline.io.fit_crc import crc16
from finishline.io.fit_messages import FIRST_ABSOLUTE_TIME, RELATIVE_LIMIT_S, is_relative_time

FIT_EPOCH = pd.Timestamp("1989-12-31", tz="UTC")
T0 = 1_000_000_000  # FIT seconds; a multiple of 32, so compressed offsets start from 0

# Base type identifiers (FIT SDK table 4-6).
ENUM, SINT8, UINT8, SINT16, UINT16, UINT32, STRING, UINT8Z, BYTE = (
    0, 1, 2, 0x83, 0x84, 0x86, 7, 0x0A, 0x0D,
)  # fmt: skip


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
    head += struct.pack("<H", crc16(head))
    data = head + body
    return data + struct.pack("<H", crc16(data))


def agree(data: bytes, messages=None):
    """Decode with the fast engine and check that the SDK gives the same messages."""
    got = fit_fast.decode(data, messages=messages)
    sdk, errors = sdk_decode(data)
    assert not errors, errors
    names = None if messages is None else sorted(messages & set(sdk))
    assert message_differences(sdk, got, names) == []
    return got


def records(got) -> pd.DataFrame:
    return got.get("record")


FILE_ID = definition(0, 0, [(0, 1, ENUM), (1, 2, UINT16)]) + message(0, "BH", 4, 1)
RECORD_FIELDS = [(253, 4, UINT32), (3, 1, UINT8), (6, 2, UINT16), (5, 4, UINT32), (2, 2, UINT16)]


def record(ts, hr, speed_raw, dist_raw, alt_raw, big=False):
    return message(1, "IBHIH", ts, hr, speed_raw, dist_raw, alt_raw, big=big)


def seconds(times: pd.Series) -> list[int]:
    return (times - FIT_EPOCH).dt.total_seconds().astype(int).tolist()


@pytest.mark.parametrize("big", [False, True])
def test_scaled_fields_components_and_endianness(big):
    body = FILE_ID + definition(1, 20, RECORD_FIELDS, big=big)
    body += record(T0, 150, 3500, 1234567, 3000, big=big)
    body += record(T0 + 1, 151, 3600, 1234927, 3005, big=big)
    rec = records(agree(fit_file(body)))
    assert rec["heart_rate"].tolist() == [150, 151]
    assert rec["speed"].tolist() == [3.5, 3.6]
    assert rec["enhanced_speed"].tolist() == [3.5, 3.6]  # the speed field's component
    assert rec["distance"].tolist() == [12345.67, 12349.27]
    assert rec["altitude"].tolist() == [100.0, 101.0]  # raw / 5 - 500
    assert rec["enhanced_altitude"].tolist() == [100.0, 101.0]
    assert seconds(rec["timestamp"]) == [T0, T0 + 1]
    assert str(rec["timestamp"].dtype).endswith("UTC]")


def test_invalid_sentinels_are_missing():
    body = FILE_ID + definition(1, 20, RECORD_FIELDS)
    body += record(T0, 0xFF, 0xFFFF, 0xFFFFFFFF, 0xFFFF)
    body += record(T0 + 1, 140, 3000, 100, 2600)
    rec = records(agree(fit_file(body)))
    for col in ("heart_rate", "speed", "enhanced_speed", "distance", "altitude"):
        assert np.isnan(rec[col].iloc[0]) and not np.isnan(rec[col].iloc[1]), col


@pytest.mark.parametrize(("size", "base"), [(1, UINT32), (3, UINT16), (2, UINT32), (1, SINT16)])
def test_field_of_odd_size_is_read_as_bytes_and_decoding_goes_on(size, base):
    """The COROS case: a definition declares a multi-byte field with a size that is not a
    multiple of its type. The SDK reads it as uint8 values; the messages after it decode."""
    odd = definition(2, 21, [(253, 4, UINT32), (0, 1, ENUM), (1, 1, ENUM), (3, size, base)])
    body = FILE_ID + odd + message(2, f"IBB{size}B", T0, 0, 0, *range(7, 7 + size))
    body += definition(1, 20, RECORD_FIELDS)
    body += b"".join(record(T0 + i, 100 + i, 3000, 100 * i, 2600) for i in range(5))
    got = agree(fit_file(body))
    assert records(got)["heart_rate"].tolist() == [100, 101, 102, 103, 104]
    data = got.get("event")["data"].iloc[0]
    assert data == (7 if size == 1 else tuple(range(7, 7 + size)))
    assert got.stop is None


def test_big_endian_and_little_endian_layouts_mix():
    body = FILE_ID + definition(1, 20, RECORD_FIELDS, big=True) + record(T0, 120, 0, 0, 0, big=True)
    body += definition(1, 20, RECORD_FIELDS) + record(T0 + 1, 121, 0, 0, 0)
    rec = records(agree(fit_file(body)))
    assert rec["heart_rate"].tolist() == [120, 121]
    assert seconds(rec["timestamp"]) == [T0, T0 + 1]


def test_undefined_local_message_type_stops_with_the_records_before():
    body = FILE_ID + definition(1, 20, RECORD_FIELDS)
    body += b"".join(record(T0 + i, 100 + i, 0, 0, 0) for i in range(3))
    body += message(5, "I", T0)  # local type 5 was never defined: its size is unknown
    body += record(T0 + 9, 109, 0, 0, 0)
    data = fit_file(body)
    got = fit_fast.decode(data)
    assert records(got)["heart_rate"].tolist() == [100, 101, 102]
    assert got.stop is not None and got.stop.kind == "corrupt"
    assert "undefined local type 5" in got.stop.reason
    sdk, errors = sdk_decode(data)
    assert errors and "Invalid local message number" in errors[0]
    assert message_differences(sdk, got, ["file_id", "record"]) == []


def test_unknown_base_type_is_skipped_by_its_size():
    """Base type 0x1F does not exist: the SDK stops; the field is skipped and the rest reads."""
    fields = [(253, 4, UINT32), (99, 2, 0x1F), (3, 1, UINT8)]
    body = FILE_ID + definition(1, 20, fields)
    body += b"".join(message(1, "IHB", T0 + i, 0xABCD, 130 + i) for i in range(3))
    data = fit_file(body)
    got = fit_fast.decode(data)
    rec = records(got)
    assert rec["heart_rate"].tolist() == [130, 131, 132]
    assert seconds(rec["timestamp"]) == [T0, T0 + 1, T0 + 2]
    assert "unknown_99" not in rec.columns and got.stop is None
    assert sdk_decode(data)[1], "the SDK stops at the unknown base type"


def test_base_type_without_its_endian_bit_is_the_same_type():
    """The type byte's bits 0-4 are the base type: 0x04 is uint16 as 0x84 is."""
    body = FILE_ID + definition(1, 20, [(253, 4, 0x06), (6, 2, 0x04)])
    body += message(1, "IH", T0, 2500)
    assert records(agree(fit_file(body)))["speed"].tolist() == [2.5]


def test_unknown_global_message_is_skipped_unless_asked_for():
    body = FILE_ID + definition(2, 0xFF01, [(0, 2, UINT16), (1, 1, UINT8)])
    body += message(2, "HB", 7, 8) + message(2, "HB", 9, 10)
    body += definition(1, 20, RECORD_FIELDS) + record(T0, 140, 0, 0, 0)
    data = fit_file(body)
    default = fit_fast.decode(data)
    assert "unknown_65281" not in default.names()
    assert records(default)["heart_rate"].tolist() == [140]
    everything = agree(data)
    table = everything.get("unknown_65281")
    assert table["unknown_0"].tolist() == [7, 9] and table["unknown_1"].tolist() == [8, 10]


def test_chained_files_with_different_layouts_for_one_local_type():
    one = fit_file(FILE_ID + definition(1, 20, RECORD_FIELDS) + record(T0, 1, 0, 0, 0))
    other = [(253, 4, UINT32), (3, 1, UINT8)]
    two = fit_file(FILE_ID + definition(1, 20, other) + message(1, "IB", T0 + 5, 2))
    got = agree(one + two)
    assert got.n_files == 2
    rec = records(got)
    assert rec["heart_rate"].tolist() == [1, 2] and rec["_file"].tolist() == [0, 1]
    assert rec["speed"].isna().tolist() == [False, True]


@pytest.mark.parametrize("local", [0, 1, 2, 3])
def test_compressed_timestamps_roll_over_every_32_seconds(local):
    """The SDK does not read compressed timestamp headers; the protocol's rule is checked."""
    body = FILE_ID + definition(1, 20, RECORD_FIELDS) + record(T0 + 30, 100, 1000, 0, 2500)
    body += definition(local, 20, [(3, 1, UINT8)])
    offsets = [1, 20, 3, 3, 31]  # (T0 + 30) % 32 == 30
    for k, off in enumerate(offsets):
        body += message(local, "B", 101 + k, time_offset=off)
    rec = records(fit_fast.decode(fit_file(body)))
    # 30 -> 33 (1 after a wrap), 52, 67 (wrap), 67 (same), 95
    assert seconds(rec["timestamp"]) == [T0 + 30, T0 + 33, T0 + 52, T0 + 67, T0 + 67, T0 + 95]
    assert rec["heart_rate"].tolist() == [100, 101, 102, 103, 104, 105]


def test_accumulated_distance_from_compressed_speed_distance():
    body = FILE_ID + definition(1, 20, [(253, 4, UINT32), (8, 3, BYTE)])
    # 12-bit speed (1/100 m/s) and 12-bit distance (1/16 m); distance wraps at 4096
    for i, (speed, dist) in enumerate([(250, 4000), (260, 100), (270, 300)]):
        packed = speed | (dist << 12)
        body += message(1, "I3s", T0 + i, packed.to_bytes(3, "little"))
    rec = records(agree(fit_file(body)))
    assert rec["speed"].tolist() == [2.5, 2.6, 2.7]
    assert rec["distance"].tolist() == [4000 / 16, (4096 + 100) / 16, (4096 + 300) / 16]


DEV_ID = definition(2, 207, [(3, 1, UINT8)]) + message(2, "B", 0)
DESCRIBE = definition(3, 206, [(0, 1, UINT8), (1, 1, UINT8), (2, 1, UINT8), (3, 8, STRING),
                               (8, 6, STRING)])  # fmt: skip


def test_developer_field_named_with_units_and_raw_values():
    body = FILE_ID + DEV_ID + DESCRIBE
    body += message(3, "BBB8s6s", 0, 7, UINT16, b"Power\x00\x00\x00", b"Watts\x00")
    body += definition(1, 20, [(253, 4, UINT32)], dev_fields=[(7, 2, 0)])
    body += message(1, "IH", T0, 250) + message(1, "IH", T0 + 1, 0xFFFF)
    got = fit_fast.decode(fit_file(body))
    sdk, errors = sdk_decode(fit_file(body))
    assert not errors and message_differences(sdk, got, ["record", "field_description"]) == []
    power = records(got)["Power"]
    assert power.iloc[0] == 250 and np.isnan(power.iloc[1])  # the SDK keeps 0xFFFF
    assert got.units["record"]["Power"] == "Watts"
    assert got.developer["record"]["Power"].native_field is None


def test_undescribed_developer_field_is_skipped_by_its_size():
    """A developer field without description (or without developer_data_id) is skipped, as
    the SDK does; the native fields around it decode."""
    body = FILE_ID + definition(1, 20, [(253, 4, UINT32), (3, 1, UINT8)], dev_fields=[(7, 2, 0)])
    body += message(1, "IBH", T0, 140, 250) + message(1, "IBH", T0 + 1, 141, 251)
    got = agree(fit_file(body))
    assert records(got)["heart_rate"].tolist() == [140, 141]
    assert list(records(got).columns) == ["_file", "timestamp", "heart_rate"]


def test_description_without_developer_id_is_ignored():
    body = FILE_ID + DESCRIBE + message(3, "BBB8s6s", 0, 7, UINT16, b"Power\x00\x00\x00", b"W\x00")
    body += definition(1, 20, [(253, 4, UINT32)], dev_fields=[(7, 2, 0)])
    body += message(1, "IH", T0, 250)
    got = agree(fit_file(body))
    assert "Power" not in records(got).columns


def test_developer_field_named_like_a_native_field_keeps_both():
    body = FILE_ID + DEV_ID + DESCRIBE
    body += message(3, "BBB8s6s", 0, 7, UINT8, b"power\x00\x00\x00", b"W\x00")
    body += definition(1, 20, [(253, 4, UINT32), (7, 2, UINT16)], dev_fields=[(7, 1, 0)])
    body += message(1, "IHB", T0, 300, 200)
    rec = records(agree(fit_file(body)))
    assert rec["power"].tolist() == [300] and rec["dev_power"].tolist() == [200]


def test_relative_timestamps_are_fit_epoch_based():
    """date_time values below 0x10000000 count from device power-on: they stay on the
    FIT-epoch time line, compressed timestamps included, with no unit."""
    start = 16_441_241  # a Garmin FR70's power-on seconds, as in the corpus files
    body = definition(0, 0, [(0, 1, ENUM), (1, 2, UINT16), (4, 4, UINT32)])
    body += message(0, "BHI", 4, 1, start)  # file_id.time_created, relative too
    body += definition(1, 20, RECORD_FIELDS) + record(start, 120, 3000, 0, 2600)
    body += definition(2, 20, [(3, 1, UINT8)])
    body += message(2, "B", 121, time_offset=(start + 3) % 32)
    body += record(RELATIVE_LIMIT_S - 1, 122, 3000, 0, 2600)  # the last relative second
    body += record(RELATIVE_LIMIT_S, 123, 3000, 0, 2600)  # the first absolute one
    got = fit_fast.decode(fit_file(body))
    rec = records(got)
    assert seconds(rec["timestamp"]) == [start, start + 3, RELATIVE_LIMIT_S - 1, RELATIVE_LIMIT_S]
    assert is_relative_time(rec["timestamp"]).tolist() == [True, True, True, False]
    assert rec["timestamp"].iloc[-1] == FIRST_ABSOLUTE_TIME
    assert got.get("file_id")["time_created"].iloc[0] == FIT_EPOCH + pd.Timedelta(seconds=start)
    assert "timestamp" not in got.units["record"] or got.units["record"]["timestamp"] == "s"


def test_strings_enums_subfields_and_zero_invalid_types():
    body = definition(0, 0, [(0, 1, ENUM), (1, 2, UINT16), (2, 2, UINT16), (8, 6, STRING)])
    body += message(0, "BHH6s", 4, 1, 1623, b"fr\x00xxx") + message(0, "BHH6s", 99, 255, 5, b"")
    body += definition(1, 23, [(2, 1, UINT8Z), (4, 2, SINT16)])  # device_info
    body += message(1, "Bh", 0, 0x7FFF) + message(1, "Bh", 3, -5)
    body += definition(2, 21, [(253, 4, UINT32), (0, 1, ENUM), (1, 1, ENUM), (3, 4, UINT32)])
    body += message(2, "IBBI", T0, 0, 0, 0)  # event timer start: data reads as timer_trigger
    got = agree(fit_file(body))
    file_id = got.get("file_id")
    assert file_id["type"].tolist() == ["activity", 99]  # 99 has no name in the profile
    assert file_id["manufacturer"].tolist() == ["garmin", "development"]
    assert file_id["product"].tolist() == [1623, 5]
    # the subfield next to its field, where the manufacturer selects it
    assert file_id["garmin_product"].iloc[0] == "fr620" and file_id["garmin_product"].isna().iloc[1]
    assert file_id["product_name"].iloc[0] == ("fr", "xxx")  # an inner NUL separates strings
    assert file_id["product_name"].iloc[1] is None
    assert got.get("device_info")["manufacturer"].isna().tolist() == [True, False]
    event = got.get("event")
    assert event["timer_trigger"].tolist() == ["manual"] and event["data"].tolist() == [0]


def test_truncated_file_keeps_complete_messages_and_says_where():
    body = FILE_ID + definition(1, 20, RECORD_FIELDS)
    body += b"".join(record(T0 + i, 120 + i, 3000, 100 * i, 2600) for i in range(5))
    data = fit_file(body)
    cut = data[: len(data) - 2 - 8]  # drop the CRC and most of the last record
    got = fit_fast.decode(cut)
    assert records(got)["heart_rate"].tolist() == [120, 121, 122, 123]
    assert got.stop is not None and got.stop.kind == "eof" and got.stop.n_messages == 5


def test_bad_crc_is_read_with_a_warning():
    body = FILE_ID + definition(1, 20, RECORD_FIELDS) + record(T0, 130, 3000, 0, 2600)
    data = bytearray(fit_file(body))
    data[-1] ^= 0xFF
    got = fit_fast.decode(bytes(data))
    assert got.warnings[0].startswith("CRC mismatch") and got.stop is None
    assert records(got)["heart_rate"].tolist() == [130]


def test_broken_header_is_corrupt():
    data = bytearray(fit_file(FILE_ID))
    data[8:12] = b"XFIT"
    with pytest.raises(CorruptFileError):
        fit_fast.decode(bytes(data), "broken.fit")


def test_only_the_messages_asked_for_are_decoded():
    body = FILE_ID + definition(2, 160, [(253, 4, UINT32), (1, 4, 0x85)])  # gps_metadata
    body += b"".join(message(2, "Ii", T0 + i, i) for i in range(4))
    body += definition(1, 20, RECORD_FIELDS) + record(T0, 140, 0, 0, 0)
    data = fit_file(body)
    assert "gps_metadata" not in fit_fast.decode(data).names()
    only = fit_fast.decode(data, messages={"gps_metadata"})
    assert only.names() == ["gps_metadata"] and len(only.get("gps_metadata")) == 4


@given(st.binary(max_size=600))
def test_crc16_matches_the_sdk_algorithm(data):
    assert crc16(data) == CrcCalculator.calculate_crc(data, 0, len(data))


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 0xFFFFFFFF), st.integers(0, 255), st.integers(0, 0xFFFF),
            st.integers(0, 0xFFFFFFFF), st.integers(0, 0xFFFF),
        ),
        min_size=1, max_size=30,
    )
)  # fmt: skip
def test_random_records_match_the_sdk(rows):
    body = FILE_ID + definition(1, 20, RECORD_FIELDS)
    for ts, hr, speed, dist, alt in rows:
        body += record(ts, hr, speed, dist, alt)
    sdk_decode.cache_clear()
    agree(fit_file(body))
