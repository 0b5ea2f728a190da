"""Every corpus file either analyses into strict JSON or raises a FinishlineError.

A runner's watch will hand ``analyze`` files nobody planned for (rides, swims, corrupt,
truncated, multisport): none may crash it or leave a NaN in the JSON.
"""

from __future__ import annotations

import json
import warnings

import pytest
from corpus import corpus_files, corpus_path

import finishline
from finishline.errors import FinishlineError

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
