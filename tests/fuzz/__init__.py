"""A seeded mutation fuzzer for the whole pipeline: any input gives sane JSON or one line.

Real files (``../shared/corpus`` and ``sample_runs/``) are mutated (:mod:`fuzz.mutate_bytes`,
:mod:`fuzz.mutate_fit`, :mod:`fuzz.mutate_xml`), each mutant runs through ``finishline summary
--json`` and ``finishline analyze --json`` in a forked child with an address-space cap and a
time limit (:mod:`fuzz.runner`), and every run is classified (:mod:`fuzz.classify`): strict
JSON within physical ranges, a clean one-line error (exit 2), or a failure (two-line message,
internal error, MemoryError, timeout, crash, out-of-range output).

``make fuzz`` runs :mod:`fuzz.run` (1,500 mutants by default); ``tests/fuzz/test_fuzz_bounded.py``
runs a few hundred inside ``make test``. A mutant is reproduced from its file, mutation and
seed: ``python tests/fuzz/run.py --replay FILE MUTATION SEED [--gz]``.
"""
