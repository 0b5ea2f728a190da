"""``finishline risk-splits``: the final-mile risk of every runner of a chip-results table."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def cmd_risk_splits(args: argparse.Namespace) -> int:
    from finishline.risk import CheckpointRiskModel, read_results_csv

    results = read_results_csv(args.file, up_to_km=args.at)
    scored = CheckpointRiskModel.load().predict_results(results, at_km=args.at)
    if args.out in (None, "-"):
        scored.to_csv(sys.stdout, index=False, float_format="%.4f")
    else:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        scored.to_csv(args.out, index=False, float_format="%.4f")
        n_ok = int(scored["p_fail"].notna().sum())
        print(
            f"scored {n_ok} of {len(scored)} runners at {scored['checkpoint_km'].iloc[0]:g} km "
            f"-> {args.out}"
        )
    return 0
