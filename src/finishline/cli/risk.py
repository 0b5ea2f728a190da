"""``finishline risk-splits``: the final-mile risk of every runner of a chip-results table.

The whole command runs on numpy columns (``risk.chip.read_results_table``,
``LandmarkRiskModel.results_columns``, ``risk.csv_out.write_columns_csv``): importing pandas
alone would take longer than the command's budget of half a second for 48,000 runners.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def cmd_risk_splits(args: argparse.Namespace) -> int:
    import numpy as np

    from finishline.risk.chip import ROW_NUMBER, read_results_table
    from finishline.risk.csv_out import write_columns_csv
    from finishline.risk.landmark import LandmarkRiskModel

    results = read_results_table(args.file, up_to_km=args.at)
    scored = LandmarkRiskModel.load().results_columns(results.columns, at_km=args.at)
    ids = f"ids from column '{results.id_column}'"
    if results.id_column == ROW_NUMBER:
        ids = "ids are row numbers (no id, bib, bib number, runner id or name column)"
    if args.out in (None, "-"):
        sys.stdout.flush()
        write_columns_csv(scored, sys.stdout.buffer)
        sys.stdout.buffer.flush()
        print(ids, file=sys.stderr)
    else:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        write_columns_csv(scored, args.out)
        n_ok = int(np.count_nonzero(~np.isnan(scored["p_fail"])))
        print(
            f"scored {n_ok} of {len(scored['p_fail'])} runners at {scored['checkpoint_km'][0]:g} km "
            f"({ids}) -> {args.out}"
        )
    return 0
