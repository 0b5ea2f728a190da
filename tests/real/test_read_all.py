"""``finishline.io.read_all``: each activity of a file, on real GPX and FIT files."""

from __future__ import annotations

import pandas as pd
import pytest
from corpus import corpus_path

import finishline
from finishline.io import read_all

pytestmark = pytest.mark.real

#: Two tracks with times (and two saved tracks without any) on one day.
TWO_TRACKS = "gpx/gpxpy__korita-zbevnica__nosport_14.9km.gpx"
#: Eight timed tracks (one empty) of one outing, one after the other.
EIGHT_TRACKS = "gpx/gpxpy__cerknicko-jezero__nosport_4.6km.gpx"


@pytest.mark.parametrize(("name", "n_tracks"), [(TWO_TRACKS, 2), (EIGHT_TRACKS, 7)])
def test_each_timed_track_is_an_activity(name, n_tracks):
    path = corpus_path(name)
    whole = finishline.read(path)
    every = read_all(path)
    assert len(every) == n_tracks
    starts = [a.samples.index[0] for a in every]
    assert starts == sorted(starts)
    # together they are the file read as one activity (tracks apart in time: nothing set aside)
    joined = pd.concat([a.samples for a in every]).drop(columns=["elapsed_s", "distance_m"])
    expected = whole.samples.drop(columns=["elapsed_s", "distance_m"])
    pd.testing.assert_frame_equal(joined, expected, check_freq=False)
    assert all(not a.meta.is_course for a in every)


def test_a_route_gives_its_course():
    path = corpus_path("bad/heartandsole__testcourse__nosport_nodist.gpx")
    (course,) = read_all(path)
    assert course.meta.is_course
    assert len(course.samples) == len(finishline.read(path).samples)


def test_fit_gives_the_one_activity():
    path = corpus_path("fit/heartandsole__testdata__run_0.2km.fit")
    (act,) = read_all(path)
    pd.testing.assert_frame_equal(act.samples, finishline.read(path).samples)
