"""The compiled XML scanner and the numpy path read every corpus GPX/TCX file alike.

Same activities (every table, exactly, and the metadata), same warnings, or the same error;
see tests/test_xml_compiled.py for the generated and safety cases. Skips (fails under
``CI=true``) where the compiled scanner is not built.
"""

from __future__ import annotations

import gzip

import pytest
from corpus import corpus_files, corpus_path, require_shared
from fuzz.plan import build, plan, sources
from xml_paths import assert_same_activities, both, require_compiled

import finishline

pytestmark = pytest.mark.real

XML_FILES = sorted(
    {*corpus_files(".gpx"), *corpus_files(".tcx"), *corpus_files(".gpx.gz"),
     *corpus_files(".tcx.gz")} - {"<corpus missing>"}
) or ["<corpus missing>"]  # fmt: skip


@pytest.mark.parametrize("name", XML_FILES)
def test_compiled_and_numpy_paths_read_the_file_alike(name):
    require_compiled()
    path = corpus_path(name)
    assert_same_activities(*both(finishline.read_all, path))
    assert_same_activities(*both(finishline.read, path))


@pytest.mark.parametrize("seed", [3, 17])
def test_mutants_of_corpus_files_read_alike(seed):
    """Byte and XML mutations of corpus files (the fuzz harness's): same outcome on both paths."""
    require_compiled()
    require_shared()
    files = [name for name in sources() if name.lower().endswith((".gpx", ".tcx"))]
    for mutant in plan(100, seed, files):
        data = build(mutant)
        if data[:2] == b"\x1f\x8b" and mutant.mutation != "gz_truncate":
            data = gzip.decompress(data)
        try:
            assert_same_activities(*both(finishline.read_bytes, data, "mutant.xml"))
        except AssertionError as exc:
            raise AssertionError(f"{mutant}: {exc}") from exc
