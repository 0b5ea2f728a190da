"""The FIT workout writer, decoded by Garmin's own SDK and by fitparse."""

from __future__ import annotations

import io
import struct

import fitparse
import numpy as np
import pandas as pd
import pytest
from corpus import SAMPLE_RUNS
from garmin_fit_sdk import Decoder, Stream
from garmin_fit_sdk.fit import FIELD_TYPE_TO_BASE_TYPE
from garmin_fit_sdk.profile import Profile
from hypothesis import given, settings
from hypothesis import strategies as st

import finishline
from finishline.errors import InputDataError, NotAnActivityError
from finishline.io import fit_write
from finishline.io.fit_write import workout_fit
from finishline.plan import course_profile, pacing_targets, workout_steps

CREATED = pd.Timestamp("2025-03-01 06:00", tz="UTC")


def sdk_decode(data: bytes) -> dict:
    """Messages as Garmin's SDK reads them, after its integrity check; no decode errors."""
    assert Decoder(Stream.from_byte_array(bytearray(data))).check_integrity()
    messages, errors = Decoder(Stream.from_byte_array(bytearray(data))).read()
    assert errors == []
    return messages


@pytest.fixture(scope="module", params=["km", "mile"])
def plan(request) -> pd.DataFrame:
    """Twin Cities 2014 at 3:30:00, even effort, per km or per mile."""
    course = finishline.read(SAMPLE_RUNS / "TwinCitiesMarathon2014.tcx")
    return pacing_targets(course_profile(course, 42195), 12600, "even-effort", request.param)


def test_the_sdk_reads_one_step_per_split_with_the_plan_targets(plan: pd.DataFrame) -> None:
    steps = workout_steps(plan)
    data = workout_fit(steps, "Twin Cities 3:30", time_created=CREATED)
    messages = sdk_decode(data)
    file_id = messages["file_id_mesgs"][0]
    assert file_id["type"] == "workout"
    assert file_id["time_created"] == CREATED.to_pydatetime()
    workout = messages["workout_mesgs"][0]
    assert workout["wkt_name"] == "Twin Cities 3:30"
    assert workout["sport"] == "running"
    assert workout["num_valid_steps"] == len(plan)
    decoded = messages["workout_step_mesgs"]
    assert len(decoded) == len(plan) == (43 if plan.attrs["unit"] == "km" else 27)
    for i, (step, want) in enumerate(zip(decoded, steps.itertuples(), strict=True)):
        assert step["message_index"] == i
        assert step["wkt_step_name"] == want.name
        assert step["duration_type"] == "distance"
        assert step["duration_distance"] == pytest.approx(want.distance_m, abs=0.005)
        assert step["target_type"] == "speed"
        assert step["target_value"] == 0  # custom range, not a zone
        assert step["custom_target_speed_low"] == pytest.approx(want.speed_low_mps, abs=0.0005)
        assert step["custom_target_speed_high"] == pytest.approx(want.speed_high_mps, abs=0.0005)
        assert step["intensity"] == "active"
    # the steps cover the race, and each range holds the split's target speed
    total = sum(s["duration_distance"] for s in decoded)
    assert total == pytest.approx(42195.0, abs=0.01 * len(decoded))
    lows = np.array([s["custom_target_speed_low"] for s in decoded])
    highs = np.array([s["custom_target_speed_high"] for s in decoded])
    assert np.all((lows < plan["target_speed_mps"]) & (plan["target_speed_mps"] < highs))


def test_fitparse_reads_the_same_steps(plan: pd.DataFrame) -> None:
    steps = workout_steps(plan)
    fit = fitparse.FitFile(io.BytesIO(workout_fit(steps, "plan", time_created=CREATED)))
    decoded = [m.get_values() for m in fit.get_messages("workout_step")]
    assert len(decoded) == len(steps)
    for step, want in zip(decoded, steps.itertuples(), strict=True):
        assert step["wkt_step_name"] == want.name
        assert step["duration_distance"] == pytest.approx(want.distance_m, abs=0.005)
        assert step["custom_target_speed_low"] == pytest.approx(want.speed_low_mps, abs=0.0005)
        assert step["custom_target_speed_high"] == pytest.approx(want.speed_high_mps, abs=0.0005)
    (file_id,) = [m.get_values() for m in fit.get_messages("file_id")]
    assert file_id["type"] == "workout"


def test_header_and_crcs_are_real() -> None:
    steps = pd.DataFrame({"distance_m": [1000.0], "speed_low_mps": [3.0], "speed_high_mps": [3.2]})
    data = workout_fit(steps, time_created=CREATED)
    size, protocol, _, data_size, magic = struct.unpack("<BBHI4s", data[:12])
    assert (size, protocol, magic) == (14, 0x20, b".FIT")
    assert len(data) == 14 + data_size + 2
    for offset in (3, 20, len(data) - 5):  # header, a definition, a step value
        damaged = bytearray(data)
        damaged[offset] ^= 0x01
        assert not Decoder(Stream.from_byte_array(damaged)).check_integrity()


def test_finishline_sees_a_workout_not_an_activity() -> None:
    steps = pd.DataFrame({"distance_m": [500.0], "speed_low_mps": [3.0], "speed_high_mps": [3.1]})
    with pytest.raises(NotAnActivityError, match="workout"):
        finishline.read_bytes(workout_fit(steps, time_created=CREATED), "plan.fit")


def test_bad_steps_are_refused() -> None:
    good = {"distance_m": [1000.0], "speed_low_mps": [3.0], "speed_high_mps": [3.2]}
    for change in (
        {"distance_m": [0.0]},
        {"speed_low_mps": [-1.0]},
        {"speed_low_mps": [3.5]},  # above the high speed
        {"speed_high_mps": [np.nan]},
    ):
        with pytest.raises(InputDataError):
            workout_fit(pd.DataFrame({**good, **change}))
    with pytest.raises(InputDataError, match="columns"):
        workout_fit(pd.DataFrame({"distance_m": [1000.0]}))
    with pytest.raises(InputDataError, match="1 to"):
        workout_fit(pd.DataFrame({k: [] for k in good}))
    with pytest.raises(InputDataError, match="sport"):
        workout_fit(pd.DataFrame(good), sport="curling")


@settings(max_examples=40, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.floats(0.5, 100_000.0),
            st.floats(0.5, 8.0),
            st.floats(0.0, 0.5),
            st.text(min_size=0, max_size=30),
        ),
        min_size=1,
        max_size=60,
    ),
    name=st.text(min_size=0, max_size=300),
)
def test_any_steps_round_trip_through_the_sdk(rows, name) -> None:
    distance, low, extra, names = (list(c) for c in zip(*rows, strict=True))
    steps = pd.DataFrame(
        {
            "distance_m": distance,
            "speed_low_mps": low,
            "speed_high_mps": np.add(low, extra),
            "name": names,
        }
    )
    messages = sdk_decode(workout_fit(steps, name, time_created=CREATED))
    decoded = messages["workout_step_mesgs"]
    assert len(decoded) == len(rows)
    got = np.array([s["duration_distance"] for s in decoded])
    assert np.allclose(got, distance, atol=0.005)
    got_high = np.array([s["custom_target_speed_high"] for s in decoded])
    assert np.allclose(got_high, steps["speed_high_mps"], atol=0.0005)
    for step, text in zip(decoded, names, strict=True):
        if text and "\0" not in text:
            assert step.get("wkt_step_name") == text
    if name and "\0" not in name and len(name.encode()) < 255:
        assert messages["workout_mesgs"][0]["wkt_name"] == name


def test_fields_and_values_follow_the_sdk_profile() -> None:
    """Field numbers, base types, enum values and scales as garmin-fit-sdk's profile has them."""
    messages = Profile["messages"]
    for global_num, fields in (
        (fit_write.MESG_FILE_ID, fit_write.FILE_ID_FIELDS),
        (fit_write.MESG_WORKOUT, fit_write.WORKOUT_FIELDS),
        (fit_write.MESG_WORKOUT_STEP, fit_write.WORKOUT_STEP_FIELDS),
    ):
        profile_fields = messages[global_num]["fields"]
        for number, name, base in fields:
            assert profile_fields[number]["name"] == name
            assert profile_fields[number]["base_type"] == base
            byte = fit_write.BASE_TYPES[base][0]
            assert byte & 0x1F == FIELD_TYPE_TO_BASE_TYPE[base]
    assert messages[fit_write.MESG_WORKOUT]["name"] == "workout"
    assert messages[fit_write.MESG_WORKOUT_STEP]["name"] == "workout_step"
    types = Profile["types"]
    assert types["file"][fit_write.FILE_TYPE_WORKOUT] == "workout"
    assert types["manufacturer"][fit_write.MANUFACTURER_DEVELOPMENT] == "development"
    assert types["wkt_step_duration"][fit_write.DURATION_DISTANCE] == "distance"
    assert types["wkt_step_target"][fit_write.TARGET_SPEED] == "speed"
    assert types["intensity"][fit_write.INTENSITY_ACTIVE] == "active"
    for sport, value in fit_write.SPORTS.items():
        assert types["sport"][value] == sport
    step = messages[fit_write.MESG_WORKOUT_STEP]["fields"]
    subs = {sub["name"]: sub for number in (2, 5, 6) for sub in step[number]["sub_fields"]}
    assert subs["duration_distance"]["scale"] == [fit_write.DISTANCE_SCALE]
    assert subs["custom_target_speed_low"]["scale"] == [fit_write.SPEED_SCALE]
    assert subs["custom_target_speed_high"]["scale"] == [fit_write.SPEED_SCALE]
