"""The same recorded run exported in two formats gives the same summary.

Pairs are corpus files with the same source base name in ``gpx/``, ``tcx/``, ``fit/`` (and
``bad/``) of MANIFEST.tsv. Distance and elapsed time from :func:`finishline.summarize` must agree
within 1 %.

Where a pair disagrees it is marked as an expected failure with the reason, and
:func:`test_disagreement_is_the_device_distance_not_the_reader` shows the reason holds: a GPX
has only positions (``distance_source="positions"``) while the TCX/FIT carry the watch's own
distance (wheel sensor, foot pod or the watch's filtered GPS), which is shorter than the raw GPS
path on short, slow or stop-and-go recordings. Both files hold the *same positions*: the
great-circle length of the TCX/FIT positions equals the GPX distance, so the readers agree and
the difference is in what the device recorded as distance.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from corpus import corpus_path

import finishline
from finishline.geo import cumulative_distance_m

pytestmark = pytest.mark.real

TOLERANCE = 0.01

DEVICE_VS_GPS = (
    "GPX distance is the raw GPS path; the TCX/FIT distance is the device's own (filtered GPS "
    "or a speed sensor), shorter here; same positions in both (see the positions test)"
)

#: (id, file a, file b, reason the pair is expected to disagree or None)
PAIRS = [
    (
        "twin-cities-marathon",
        "tcx/ggps__TwinCitiesMarathon2014__run_42.6km.tcx",
        "gpx/ggps__TwinCitiesMarathon2014__nosport_42.7km.gpx",
        None,
    ),
    (
        "new-river-50k",
        "tcx/ggps__NewRiver50k2015__run_50.1km.tcx",
        "gpx/ggps__NewRiver50k2015__nosport_50.4km.gpx",
        None,
    ),
    (
        "lorimer-avinger",
        "tcx/ggps__activity_17075053124_lorimer_avinger__run_8.0km.tcx",
        "gpx/ggps__activity_17075053124_lorimer_avinger__run_8.1km.gpx",
        None,
    ),
    (
        "slow-10k",
        "tcx/ggps__activity_17191864852-slow-10k__run_10.0km.tcx",
        "gpx/ggps__activity_17191864852-slow-10k__run_10.0km.gpx",
        None,
    ),
    (
        "dav-track-5k",
        "tcx/ggps__dav_track_5k__run_5.3km.tcx",
        "gpx/ggps__dav_track_5k__nosport_5.2km.gpx",
        None,
    ),
    (
        "runpandas-run",
        "tcx/runpandas__run__run_4.8km.tcx",
        "gpx/runpandas__run__nosport_4.8km.gpx",
        None,
    ),
    (
        "sweatpy-ride-36k-tcx-gpx",
        "tcx/sweatpy__activity_4801048867__ride_36.3km.tcx",
        "gpx/sweatpy__activity_4801048867__ride_36.3km.gpx",
        None,
    ),
    (
        "sweatpy-ride-36k-strava-gpx",
        "tcx/sweatpy__activity_4801048867__ride_36.3km.tcx",
        "gpx/sweatpy__4801048867_strava__ride_36.3km.gpx",
        None,
    ),
    (
        "sweatpy-ride-36k-fit-tcx",
        "fit/sweatpy__4801048867__ride_36.3km.fit",
        "tcx/sweatpy__activity_4801048867__ride_36.3km.tcx",
        None,
    ),
    (
        "sweatpy-ride-36k-fit-gpx",
        "fit/sweatpy__4801048867__ride_36.3km.fit",
        "gpx/sweatpy__activity_4801048867__ride_36.3km.gpx",
        None,
    ),
    (
        "heartandsole-testdata-fit-tcx",
        "fit/heartandsole__testdata__run_0.2km.fit",
        "tcx/heartandsole__testdata__run_0.2km.tcx",
        None,
    ),
    (
        "longrun-23k",
        "tcx/ggps__longrun23k__run_23.4km.tcx",
        "gpx/ggps__longrun23k__run_23.8km.gpx",
        DEVICE_VS_GPS,
    ),
    (
        "heartandsole-testdata-tcx-gpx",
        "tcx/heartandsole__testdata__run_0.2km.tcx",
        "gpx/heartandsole__testdata__run_0.2km.gpx",
        DEVICE_VS_GPS,
    ),
    (
        "heartandsole-testdata-fit-gpx",
        "fit/heartandsole__testdata__run_0.2km.fit",
        "gpx/heartandsole__testdata__run_0.2km.gpx",
        DEVICE_VS_GPS,
    ),
    (
        "sweatpy-ride-0.7k",
        "tcx/sweatpy__activity_5039744860__ride_0.7km.tcx",
        "gpx/sweatpy__activity_5039744860__ride_0.9km.gpx",
        DEVICE_VS_GPS,
    ),
    (
        "runpandas-stopped-example",
        "bad/runpandas__stopped_example__run_12.0km.tcx",
        "bad/runpandas__stopped_example__run_12.6km.gpx",
        DEVICE_VS_GPS,
    ),
]

#: Same base name, different recordings: the FIT is a 2019 run, the GPX/TCX a 2017 run.
DIFFERENT_RECORDINGS = [
    ("runpandas-run-fit", "fit/runpandas__run__run_5.8km.fit", "tcx/runpandas__run__run_4.8km.tcx"),
]


def _read(name: str) -> finishline.Activity:
    return finishline.read(corpus_path(name))


def _params():
    out = []
    for pair_id, a, b, reason in PAIRS:
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        out.append(pytest.param(a, b, id=pair_id, marks=marks))
    return out


def _relative(x: float, y: float) -> float:
    return abs(x - y) / max(abs(x), abs(y))


@pytest.mark.parametrize(("file_a", "file_b"), _params())
def test_same_run_same_distance_and_duration(file_a, file_b):
    a = finishline.summarize(_read(file_a))
    b = finishline.summarize(_read(file_b))
    assert a["start_time"][:19] == b["start_time"][:19]
    assert _relative(a["elapsed_s"], b["elapsed_s"]) <= TOLERANCE, (a["elapsed_s"], b["elapsed_s"])
    assert _relative(a["distance_m"], b["distance_m"]) <= TOLERANCE, (
        a["distance_m"],
        b["distance_m"],
    )


@pytest.mark.parametrize(
    ("file_a", "file_b"),
    [pytest.param(a, b, id=pair_id) for pair_id, a, b, reason in PAIRS if reason],
)
def test_disagreement_is_the_device_distance_not_the_reader(file_a, file_b):
    act_a, act_b = _read(file_a), _read(file_b)
    assert act_a.meta.distance_source == "device"
    assert act_b.meta.distance_source == "positions"
    sum_a, sum_b = finishline.summarize(act_a), finishline.summarize(act_b)
    # Same recording: same start, same duration.
    assert sum_a["start_time"][:19] == sum_b["start_time"][:19]
    assert _relative(sum_a["elapsed_s"], sum_b["elapsed_s"]) <= TOLERANCE
    # The device's distance is shorter than the GPS path by more than the tolerance...
    assert sum_a["distance_m"] < sum_b["distance_m"] * (1 - TOLERANCE)
    # ...yet the positions of the device file trace the same length as the GPX.
    lat, lon = act_a.samples["lat_deg"].to_numpy(), act_a.samples["lon_deg"].to_numpy()
    path_a = float(np.nanmax(cumulative_distance_m(lat, lon)))
    assert _relative(path_a, sum_b["distance_m"]) <= 0.001, (path_a, sum_b["distance_m"])


@pytest.mark.parametrize(
    ("file_a", "file_b"), [pytest.param(a, b, id=i) for i, a, b in DIFFERENT_RECORDINGS]
)
def test_same_name_different_recording_is_told_apart(file_a, file_b):
    a = finishline.summarize(_read(file_a))
    b = finishline.summarize(_read(file_b))
    gap = abs(pd.Timestamp(a["start_time"]) - pd.Timestamp(b["start_time"]))
    assert gap > pd.Timedelta(days=1)  # not the same run: no agreement is expected


def test_course_pair_same_length():
    """The same planned course as TCX (course distance) and GPX (positions)."""
    tcx = _read("bad/heartandsole__testcourse__nosport_25.3km.tcx")
    gpx = _read("bad/heartandsole__testcourse__nosport_nodist.gpx")
    assert tcx.meta.is_course and gpx.meta.is_course
    d_tcx = finishline.summarize(tcx)["distance_m"]
    d_gpx = finishline.summarize(gpx)["distance_m"]
    assert _relative(d_tcx, d_gpx) <= TOLERANCE
