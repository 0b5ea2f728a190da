"""Running power from developer fields: a Stryd-like file built here, and the corpus files."""

from __future__ import annotations

import uuid
import warnings

import numpy as np
import pytest
from corpus import corpus_path
from test_fit_fast import FILE_ID, STRING, T0, UINT8, UINT16, UINT32, definition, fit_file, message

from finishline import read_bytes
from finishline.errors import EmptyActivityError, FinishlineWarning
from finishline.io import fit_fast

STRYD_APP = uuid.UUID("660a581e-5301-460c-8f2f-034c8b6dc90f").bytes
BYTE = 0x0D
SESSION = definition(4, 18, [(253, 4, UINT32), (5, 1, 0)]) + message(4, "IB", T0 + 10, 1)


def _developer(app: bytes, fields: list[tuple[int, int, str, str, int | None]]) -> bytes:
    """developer_data_id with ``app`` and one field_description per (number, base type,
    name, units, native field number)."""
    out = definition(2, 207, [(1, 16, BYTE), (3, 1, UINT8)]) + message(2, "16sB", app, 0)
    out += definition(3, 206, [(0, 1, UINT8), (1, 1, UINT8), (2, 1, UINT8), (3, 16, STRING),
                               (8, 8, STRING), (15, 1, UINT8)])  # fmt: skip
    for num, base, name, units, native in fields:
        out += message(3, "BBB16s8sB", 0, num, base, name.encode(), units.encode(),
                       0xFF if native is None else native)  # fmt: skip
    return out


def _run(fields, values, native_power=None) -> bytes:
    """A 10-record run whose records carry developer fields ``values`` (one list per field)."""
    native = [(7, 2, UINT16)] if native_power is not None else []
    body = FILE_ID + _developer(STRYD_APP, fields)
    body += definition(1, 20, [(253, 4, UINT32), *native],
                       dev_fields=[(f[0], 2, 0) for f in fields])  # fmt: skip
    for i in range(10):
        head = [T0 + i] + ([native_power[i]] if native_power is not None else [])
        fmt = "I" + "H" * (len(head) - 1 + len(fields))
        body += message(1, fmt, *head, *[v[i] for v in values])
    return fit_file(body + SESSION)


def _read(data: bytes):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FinishlineWarning)
        return read_bytes(data, "stryd.fit")


POWER = [250 + i for i in range(10)]
FORM = [60 + i for i in range(10)]


def test_stryd_developer_power_fills_power_and_keeps_its_column():
    data = _run([(0, UINT16, "Power", "Watts", 7), (8, UINT16, "Form Power", "Watts", None)],
                [POWER, FORM])  # fmt: skip
    act = _read(data)
    s = act.samples
    assert act.meta.power_source == "developer: Stryd Power"
    assert s["power_w"].tolist() == POWER
    assert s["dev_power_w"].tolist() == POWER  # the developer column stays
    assert s["form_power_w"].tolist() == FORM  # form power is not running power
    assert act.meta.units["dev_power_w"] == "W"


def test_native_power_wins_over_a_developer_field():
    native = [300 + i for i in range(10)]
    act = _read(_run([(0, UINT16, "Power", "Watts", 7)], [POWER], native_power=native))
    assert act.meta.power_source == "native"
    assert act.samples["power_w"].tolist() == native
    assert act.samples["dev_power_w"].tolist() == POWER


@pytest.mark.parametrize("name", ["Running Power", "RP_Power", "power"])
def test_power_named_like_power_without_a_native_field_number(name):
    act = _read(_run([(0, UINT16, name, "W", None)], [POWER]))
    assert act.meta.power_source == f"developer: Stryd {name}"
    assert act.samples["power_w"].tolist() == POWER


@pytest.mark.parametrize(
    ("name", "units"),
    [("Form Power", "Watts"), ("Air Power", "W"), ("Power", "%"), ("Avg Power", "Watts")],
)
def test_fields_that_are_not_running_power_are_not_taken(name, units):
    act = _read(_run([(0, UINT16, name, units, None)], [POWER]))
    assert act.meta.power_source is None and act.samples["power_w"].isna().all()


def test_without_any_power_the_source_is_none():
    body = FILE_ID + definition(1, 20, [(253, 4, UINT32), (3, 1, UINT8)])
    body += b"".join(message(1, "IB", T0 + i, 140) for i in range(5))
    act = _read(fit_file(body + SESSION))
    assert act.meta.power_source is None


def _real(name: str):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return read_bytes(corpus_path(name).read_bytes(), name)


@pytest.mark.real
def test_stryd_run_without_native_power_takes_the_developer_power():
    """A Stryd pod through its Connect IQ field: power only as developer field "Power"."""
    act = _real("bad/tormoder__mornindew-broken__run_16.8km.fit")
    s = act.samples
    assert act.meta.power_source == "developer: Stryd Power"
    np.testing.assert_array_equal(s["power_w"], s["dev_power_w"])
    moving = s["speed_mps"] > 2.0
    assert 150 < s.loc[moving, "power_w"].median() < 400  # running power of a runner, W


@pytest.mark.real
def test_rowing_machine_developer_power():
    """An indoor rower app writes power only as developer field "Power" (native field 7)."""
    act = _real("bad/fitparse__20170518-191602-1740899583__fitnessequ_nodist.fit")
    assert act.meta.power_source == "developer: Power"
    assert act.samples["power_w"].notna().mean() > 0.9


@pytest.mark.real
@pytest.mark.parametrize(
    "name",
    [
        "bad/fitparse__developer-types-sample__run_6.8km.fit",  # Stryd fields + native power
        "bad/muktihari__activity_developerdata__ride_3.6km.fit",  # developer heart rate only
    ],
)
def test_files_with_native_power_keep_it(name):
    act = _real(name)
    assert act.meta.power_source == "native"
    assert "dev_power_w" not in act.samples.columns


@pytest.mark.real
def test_developer_data_sample_holds_no_timed_record():
    """The FIT SDK's developer-data sample: three records without time, one developer field
    (doughnuts earned), no power: no activity to read."""
    name = "bad/fitparse__DeveloperData__nosport_3.7km.fit"
    data = corpus_path(name).read_bytes()
    record = fit_fast.decode(data).get("record")
    assert len(record) == 3 and "timestamp" not in record.columns
    assert record["doughnuts_earned"].notna().all() and "power" not in record.columns
    with pytest.raises(EmptyActivityError, match="3 records without a timestamp"):
        read_bytes(data, name)
