"""Cross-race validation of the final-mile risk model at every mat and between mats.

Run: ``.venv/bin/python bench/risk_eval.py [SPLITS_DIR]``

For each point (the mats 5, 10, 15, 20, Half, 25, 30, 35, 40 km, and 17, 22, 27, 32, 37 km
with the time at the point interpolated between the bracketing mats: marked ``interp``) and
each direction (train Boston 2014 -> test Chicago 2023, and the reverse) prints AUC, Brier,
the prevalence-only Brier (training base rate), calibration slope and intercept and ECE of the
landmark model fitted on the training race's mats only. At 35 km it adds the runners not yet
slowing (30-35 km pace <= 1.10 x the 5-20 km pace), and it compares 30 and 35 km with the
former per-checkpoint models. Then the smoothness check: for near-even runners (every 5 km
segment within 5 % of the 5-20 km pace) the change of the log-odds between consecutive km
(5 to 40, times between mats interpolated). Nothing is fitted on the test race.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from finishline.risk.train import DEFAULT_SPLITS, fit_model, load_races, stacked_table
from finishline.risk.validation import RACES, cross_race, log_odds_steps, near_even

#: The former per-checkpoint models, cross-race AUC at 30 and 35 km (the bar).
BEFORE_AUC = {
    (30.0, "boston_2014"): 0.826,
    (30.0, "chicago_2023"): 0.812,
    (35.0, "boston_2014"): 0.890,
    (35.0, "chicago_2023"): 0.865,
}


def fit_race(results: pd.DataFrame):
    return fit_model(stacked_table(results))


def smoothness(results: pd.DataFrame) -> pd.DataFrame:
    rows = []
    kms = np.arange(5.0, 41.0)
    for train in RACES:
        test = next(r for r in RACES if r != train)
        model = fit_race(results[results["race"] == train])
        for tolerance in (0.02, 0.05):
            held_out = results[(results["race"] == test) & near_even(results, tolerance)]
            steps = log_odds_steps(model, held_out, kms)
            for span, part in (("5-35 km", steps[:, :30]), ("35-40 km", steps[:, 30:])):
                worst = np.nanmax(part, axis=1)
                rows.append(
                    {
                        "train": train,
                        "test": test,
                        "within": f"{tolerance:.0%}",
                        "km": span,
                        "runners": len(held_out),
                        "median_step": float(np.nanmedian(part)),
                        "p90_max_step": float(np.nanpercentile(worst, 90)),
                        "p99_max_step": float(np.nanpercentile(worst, 99)),
                        "share_max_below_0.3": float(np.mean(worst < 0.3)),
                    }
                )
    return pd.DataFrame(rows)


def even_runner_decline(results: pd.DataFrame) -> pd.DataFrame:
    """Observed failure rate (log-odds) of runners even (5 %) through 30, 35 and 40 km."""
    ref = (results["20K"] - results["5K"]) / 15.0
    rows = []
    for lo, hi in ((0, 300), (300, 345), (345, 400), (400, 1000)):
        row: dict = {"ref_pace_s_per_km": f"{lo}-{hi}"}
        for km in (30.0, 35.0, 40.0):
            even = near_even(results, 0.05, up_to_km=km)
            keep = even & results["fmf"].notna() & ref.between(lo, hi, inclusive="left")
            rate = float(results.loc[keep, "fmf"].mean())
            row[f"n_{km:g}km"] = int(keep.sum())
            row[f"logit_{km:g}km"] = float(np.log(rate / (1 - rate))) if 0 < rate < 1 else -np.inf
        rows.append(row)
    return pd.DataFrame(rows)


def main(argv: list[str]) -> int:
    splits = Path(argv[0]) if argv else DEFAULT_SPLITS
    start = time.perf_counter()
    results = load_races(splits)
    table = cross_race(results, fit_race)
    table = table[table["n"] > 0]  # Boston 2014 has no 15K mat to test at
    pd.set_option("display.width", 200)
    table["point"] = np.where(table["interpolated"], "interp", "mat")
    cols = ["km", "point", "train", "subset", "n", "prevalence", "auc", "brier"]
    cols += ["brier_prevalence", "cal_slope", "cal_intercept", "ece"]
    print(table[cols].to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    print("\n30 and 35 km against the former per-checkpoint models (cross-race AUC):")
    for (km, train), before in BEFORE_AUC.items():
        row = table[(table["km"] == km) & (table["train"] == train) & (table["subset"] == "all")]
        print(f"  {km:g} km, train {train}: {row['auc'].iloc[0]:.4f} (before {before:.3f})")
    print("\nSmoothness: near-even runners of the test race (every 5 km segment within 2 % or 5 %")
    print("of the 5-20 km pace), |log-odds step| between consecutive km (times interpolated):")
    print(smoothness(results).to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    print("\nObserved: log-odds of failure of runners even (5 %) through 30 / 35 / 40 km:")
    print(even_runner_decline(results).to_string(index=False, float_format=lambda v: f"{v:.2f}"))
    print(f"\n({time.perf_counter() - start:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
