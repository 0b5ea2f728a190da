"""The final-mile failure definition on hand-made rows with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from finishline.risk.definition import (
    chip_final_pace_ratio,
    is_final_mile_failure,
    pace_s_per_km,
    severity_grade,
)

REF_PACE = 300.0  # s/km over 5 -> 20 km
T5, T20, T40 = 1500.0, 1500.0 + 15 * REF_PACE, 12000.0


def _finish_for_slowdown(slowdown: float) -> float:
    return T40 + 2.195 * REF_PACE * (1 + slowdown)


def test_exactly_25_percent_slower_fails_and_24_9_does_not():
    finish = np.array([_finish_for_slowdown(0.25), _finish_for_slowdown(0.249)])
    ratio = chip_final_pace_ratio([T5, T5], [T20, T20], [T40, T40], finish)
    np.testing.assert_allclose(ratio, [1.25, 1.249])
    assert is_final_mile_failure(ratio).tolist() == [1.0, 0.0]


def test_severity_grades_at_15_25_40_percent():
    ratio = np.array([1.149, 1.15, 1.2499, 1.25, 1.3999, 1.40, 2.0, np.nan])
    grades = severity_grade(ratio)
    assert grades[:-1].tolist() == [0, 1, 1, 2, 2, 3, 3]
    assert np.isnan(grades[-1])


def test_walk_and_dnf_criteria_and_missing_ratio():
    ratio = np.array([1.0, 1.0, np.nan, np.nan, 1.3])
    walk = np.array([59.9, 60.0, 0.0, np.nan, 0.0])
    dnf = np.array([False, False, True, False, False])
    label = is_final_mile_failure(ratio, walk_stop_s=walk, dnf_after_35km=dnf)
    assert label[[0, 1, 2, 4]].tolist() == [0.0, 1.0, 1.0, 1.0]
    assert np.isnan(label[3])


@pytest.mark.parametrize(("start", "end"), [(100.0, 100.0), (200.0, 100.0), (np.nan, 100.0)])
def test_pace_of_non_positive_or_missing_segment_is_nan(start, end):
    assert np.isnan(pace_s_per_km(start, end, 5.0, 10.0))
