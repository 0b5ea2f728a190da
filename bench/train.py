"""Benchmark the batch reader: cold run (no cache) vs cached rerun over a folder.

Usage: python bench/train.py [FOLDER] (default: ../shared/corpus, every file including bad/).
Prints both timings and their ratio.
"""

from __future__ import annotations

import sys
import tempfile
import time
import warnings
from pathlib import Path

from finishline.training.batch import read_many


def main() -> None:
    folder = (
        Path(sys.argv[1])
        if len(sys.argv) > 1
        else Path(__file__).resolve().parents[2] / "shared" / "corpus"
    )
    warnings.simplefilter("ignore")
    with tempfile.TemporaryDirectory() as cache:
        t0 = time.perf_counter()
        cold = read_many(folder, cache_dir=cache, progress=False)
        t1 = time.perf_counter()
        warm = read_many(folder, cache_dir=cache, progress=False)
        t2 = time.perf_counter()
    print(f"files {cold.n_files}: analysed {len(cold.activities)}, skipped {len(cold.skipped)}")
    print(f"cold run   {t1 - t0:8.2f} s")
    print(f"cached run {t2 - t1:8.2f} s  ({warm.cache_hits} cache hits)")
    print(f"speed-up   {(t1 - t0) / (t2 - t1):8.1f} x")


if __name__ == "__main__":
    main()
