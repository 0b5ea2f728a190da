"""Garmin's FIT SDK as the reference decoder: its messages, and the comparison with ours.

:func:`sdk_decode` runs ``garmin_fit_sdk.Decoder`` (cached per session: it takes seconds on a
large file). :func:`message_differences` compares its messages with the fast engine's tables,
value by value, after the normalisations where finishline deliberately differs:

- names: the SDK's ``record_mesgs`` is our ``record``, an unknown message ``"233"`` our
  ``unknown_233``, an unknown field ``61`` our ``unknown_61``; developer fields (the SDK's
  ``developer_fields[key]``) are columns named by their description's ``field_name``;
- missing values: the SDK drops an invalid field; we keep a missing value (NaN, None, NaT).
  Float NaN and infinities count as missing (a value that cannot be represented is invalid
  here). Developer fields: the SDK keeps their invalid sentinels (0xFF...) as numbers; we mark
  them missing;
- types: lists are tuples; numbers compare as numbers (the SDK keeps integers where scale is 1,
  we hold float64); ``local_date_time`` is an integer in the SDK and a FIT-epoch time here.

The helpers are tested here on small hand-made inputs; the corpus comparison is in
``tests/real/test_fit_sdk_differential.py``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import os
import pickle
from functools import cache
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from garmin_fit_sdk import Decoder, Stream
from garmin_fit_sdk.profile import Profile

from finishline.io.fit_messages import FitMessages

SDK_VERSION = version("garmin-fit-sdk")
FIT_EPOCH = dt.datetime(1989, 12, 31, tzinfo=dt.UTC)
FIT_EPOCH_NS = 631065600 * 1_000_000_000
#: Fields the SDK adds that are not in the file: the index of a field description.
SDK_ONLY = {"field_description": {"key"}}
#: Base type id (masked) -> invalid value, for developer fields whose invalid the SDK keeps.
DEV_INVALID = {
    0x00: 0xFF, 0x01: 0x7F, 0x02: 0xFF, 0x03: 0x7FFF, 0x04: 0xFFFF, 0x05: 0x7FFFFFFF,
    0x06: 0xFFFFFFFF, 0x0A: 0x00, 0x0B: 0x0000, 0x0C: 0x00000000, 0x0D: 0xFF,
    0x0E: 0x7FFFFFFFFFFFFFFF, 0x0F: 0xFFFFFFFFFFFFFFFF, 0x10: 0,
}  # fmt: skip


#: Where decoded SDK results are kept between test sessions (the SDK takes seconds per large
#: file); keyed by the file's hash and the SDK version, so a new SDK decodes afresh.
DISK_CACHE = Path(__file__).resolve().parents[1] / ".pytest_cache" / "garmin_fit_sdk"


@cache
def sdk_decode(data: bytes) -> tuple[dict[str, list[dict[str, Any]]], tuple[str, ...]]:
    """The SDK's messages of ``data`` (keys as ours: ``record``, ``unknown_233``) and the
    errors it reported (it stops at the first). Cached per session, and on disk for files
    over 64 kB."""
    path = DISK_CACHE / f"{hashlib.sha256(data).hexdigest()}-{SDK_VERSION}.pickle"
    if len(data) > 65536 and path.exists():
        with path.open("rb") as fh:
            return pickle.load(fh)
    messages, errors = Decoder(Stream.from_byte_array(bytearray(data))).read()
    out = {}
    for key, rows in messages.items():
        name = key[: -len("_mesgs")] if key.endswith("_mesgs") else f"unknown_{key}"
        out[name] = rows
    result = out, tuple(str(e) for e in errors)
    if len(data) > 65536:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        with temporary.open("wb") as fh:
            pickle.dump(result, fh)
        temporary.replace(path)
    return result


def _missing(value: Any) -> bool:
    if value is None or value is pd.NaT:
        return True
    if isinstance(value, float | np.floating):
        return not math.isfinite(value)
    return False


def normalise(value: Any) -> Any:
    """A value in comparable form: missing -> None, lists -> tuples, times -> ns integers,
    integral numbers as floats."""
    if _missing(value):
        return None
    if isinstance(value, list | tuple):
        items = tuple(normalise(v) for v in value)
        return None if all(v is None for v in items) else items
    if isinstance(value, dt.datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return int(round((aware - FIT_EPOCH).total_seconds()))
    if isinstance(value, bool | np.bool_):
        return float(value)
    if isinstance(value, int | float | np.integer | np.floating):
        return float(value)
    return value


def same(a: Any, b: Any) -> bool:
    """Two normalised values agree (floats to 1e-9 relative)."""
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


@cache
def _profile_names(name: str) -> frozenset[str]:
    """Names of the fields and subfields of message ``name`` in the SDK's profile."""
    for message in Profile["messages"].values():
        if message["name"] == name:
            fields = message["fields"].values()
            subs = {sub["name"] for f in fields for sub in f["sub_fields"]}
            return frozenset({f["name"] for f in fields} | subs)
    return frozenset()


def sdk_rows(sdk: dict[str, list[dict[str, Any]]], name: str) -> list[dict[str, Any]]:
    """The SDK's rows of message ``name`` with developer fields named and normalised."""
    descriptions = sdk.get("field_description", [])
    rows = []
    for message in sdk.get(name, []):
        row = {}
        for key, value in message.items():
            if key == "developer_fields" or key in SDK_ONLY.get(name, ()):
                continue
            row[key if isinstance(key, str) else f"unknown_{key}"] = normalise(value)
        for key, value in message.get("developer_fields", {}).items():
            desc = descriptions[key]
            base = desc.get("fit_base_type_id")
            invalid = DEV_INVALID.get(base & 0x1F) if isinstance(base, int) else None
            values = value if isinstance(value, list) else [value]
            values = [None if v == invalid else v for v in values]
            column = (
                desc.get("field_name")
                or f"developer_{desc['developer_data_index']}_{desc['field_definition_number']}"
            )
            if column in _profile_names(name):  # never mixed with a native field
                column = f"dev_{column}"
            row[column] = normalise(values[0] if len(values) == 1 else values)
        rows.append(row)
    return rows


def _comparable(values: Any) -> list[Any]:
    """A column as Python values; times as seconds since the FIT epoch."""
    array = np.asarray(values)
    if array.dtype.kind == "M":
        ns = array.astype("datetime64[ns]").view(np.int64)
        seconds = (ns - np.int64(FIT_EPOCH_NS)) // 1_000_000_000
        return [
            None if t == np.iinfo(np.int64).min else int(s)
            for t, s in zip(ns, seconds, strict=True)
        ]
    return list(array.astype(object))


def message_differences(
    sdk: dict[str, list[dict[str, Any]]],
    ours: FitMessages,
    names: list[str] | None = None,
    prefix_only: bool = False,
) -> list[str]:
    """Every disagreement between the SDK's messages and ours, as short sentences (empty when
    they agree). ``prefix_only``: the SDK stopped early, compare its rows with our first ones.
    """
    problems: list[str] = []
    for name in names if names is not None else sorted(set(sdk) | set(ours.names())):
        expected = sdk_rows(sdk, name)
        table = ours.columns(name)
        n_ours = len(table["_file"]) if "_file" in table else 0
        if (n_ours < len(expected)) if prefix_only else (n_ours != len(expected)):
            problems.append(f"{name}: {n_ours} rows, the SDK {len(expected)}")
            continue
        columns = {c: _comparable(table[c]) for c in table if c != "_file"}
        for col in {k for row in expected for k in row}:
            if col not in columns:
                if any(row.get(col) is not None for row in expected):
                    problems.append(f"{name}.{col}: missing here, the SDK has values")
                continue
        for col, values in columns.items():
            bad = [
                i for i, row in enumerate(expected) if not same(row.get(col), normalise(values[i]))
            ]
            if bad:
                i = bad[0]
                problems.append(
                    f"{name}.{col}: {len(bad)} rows differ, first {i}: "
                    f"ours {normalise(values[i])!r}, SDK {expected[i].get(col)!r}"
                )
    return problems


# -- the helpers themselves -------------------------------------------------------------------


def test_normalise_missing_lists_times_and_numbers():
    assert normalise(float("nan")) is None and normalise(float("inf")) is None
    assert normalise(None) is None and normalise(pd.NaT) is None
    assert normalise([1, None, 3]) == (1.0, None, 3.0) and normalise([None, None]) is None
    t = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    assert [normalise(t)] == _comparable(np.array(["2020-01-01T00:00:00"], "datetime64[ns]"))
    assert normalise(np.int64(7)) == 7.0 == normalise(7)
    assert normalise("running") == "running"


def test_same_compares_floats_relatively_and_tuples_elementwise():
    assert same(1.0, 1.0 + 1e-12) and not same(1.0, 1.001)
    assert same((1.0, None), (1.0, None)) and not same((1.0,), (1.0, 2.0))
    assert not same(None, 0.0) and same(None, None)


def test_sdk_rows_name_developer_fields_and_drop_their_invalid_values():
    sdk = {
        "field_description": [
            {
                "developer_data_index": 0,
                "field_definition_number": 0,
                "fit_base_type_id": 132,
                "field_name": "Power",
            },
        ],  # fmt: skip
        "record": [
            {"heart_rate": 150, "developer_fields": {0: 250}},
            {"heart_rate": 151, "developer_fields": {0: 0xFFFF}},
            {61: 5},
        ],
    }
    rows = sdk_rows(sdk, "record")
    assert rows[0] == {"heart_rate": 150.0, "Power": 250.0}
    assert rows[1] == {"heart_rate": 151.0, "Power": None}
    assert rows[2] == {"unknown_61": 5.0}
