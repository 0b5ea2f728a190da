"""Every corpus file either analyses into strict JSON or raises a FinishlineError.

A runner's watch will hand ``analyze`` files nobody planned for (rides, swims, corrupt,
truncated, multisport): none may crash it or leave a NaN in the JSON.
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
from corpus import corpus_files, corpus_path

import finishline
from finishline.errors import FinishlineError
from finishline.metrics.decoupling import ONSET_THRESHOLD

pytestmark = pytest.mark.real


@pytest.mark.parametrize("name", corpus_files())
def test_analyze_gives_strict_json_or_a_finishline_error(name):
    path = corpus_path(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            result = finishline.analyze(path)
        except FinishlineError as exc:
            assert exc.path is not None and str(exc.path).endswith(name)
            return
    doc = json.loads(json.dumps(result.to_json(), allow_nan=False))
    assert doc["summary"]["distance_m"] is not None
    assert len(doc["splits"]) == len(result.splits_km)
    dec = result.decoupling
    if np.isfinite(dec.onset_m):  # the report draws "Pa:HR >= 5 % from X km": true to the end
        held = dec.curve.loc[dec.curve["distance_m"] >= dec.onset_m, "pa_hr"]
        assert (held >= ONSET_THRESHOLD).all() and len(held) > 1
