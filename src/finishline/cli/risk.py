"""``finishline risk-splits``: the final-mile risk of every runner of a chip-results table."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def cmd_risk_splits(args: argparse.Namespace) -> int:
    from finishline.risk import LandmarkRiskModel, read_results_csv
    from finishline.risk.csv_out import write_csv

    results = read_results_csv(args.file, up_to_km=args.at)
    scored = LandmarkRiskModel.load().predict_results(results, at_km=args.at)
    ids = f"ids from column '{results.attrs['id_column']}'"
    if results.attrs["id_column"] == "row number":
        ids = "ids are row numbers (no id, bib, bib number, runner id or name column)"
    if args.out in (None, "-"):
        sys.stdout.flush()
        write_csv(scored, sys.stdout.buffer)
        sys.stdout.buffer.flush()
        print(ids, file=sys.stderr)
    else:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        write_csv(scored, args.out)
        n_ok = int(scored["p_fail"].notna().sum())
        print(
            f"scored {n_ok} of {len(scored)} runners at {scored['checkpoint_km'].iloc[0]:g} km "
            f"({ids}) -> {args.out}"
        )
    return 0
