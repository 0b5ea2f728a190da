"""Cross-race evaluation of the final-mile risk model against a logistic baseline.

Run: ``.venv/bin/python bench/risk_eval.py [SPLITS_DIR]``

For each checkpoint (20/25/30/35 km) and each direction (train Boston 2014 -> test Chicago
2023, and the reverse) prints AUC, Brier, the prevalence-only Brier (training base rate),
calibration slope and intercept and ECE, for the finishline model and for a plain logistic
regression on segment-pace ratios (+ sex, age). At 35 km it repeats the table for runners not
yet slowing (30-35 km pace <= 1.10 x the 5-20 km pace). Nothing is fitted on the test race.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.special import expit

from finishline.risk.evaluate import summarize_predictions
from finishline.risk.features import FEATURES, cumulative_time_at, reference_window_km
from finishline.risk.model import _fit_grouped_logistic
from finishline.risk.train import DEFAULT_SPLITS, fit_checkpoint, load_races, training_table

CHECKPOINTS = (20.0, 25.0, 30.0, 35.0)
RACES = ("boston_2014", "chicago_2023")
NOT_SLOWING_RATIO = 1.10


def baseline_features(results: pd.DataFrame, km: float) -> pd.DataFrame:
    """Plain segment-pace ratios vs the 5-20 km pace: three 5 km segments before ``km``,
    the first 5 km, male, age (the baseline described in science.md section 7)."""
    from finishline.risk.chip import CHIP_MATS_KM

    labels = [c for c, d in CHIP_MATS_KM.items() if d <= km]
    dist = [CHIP_MATS_KM[c] for c in labels]
    ref_a, ref_b = reference_window_km(km)
    targets = [0.0, 5.0, ref_a, ref_b, km - 15, km - 10, km - 5, km]
    t = cumulative_time_at(dist, results[labels].to_numpy(float), targets, up_to_km=km)
    ref = (t[:, 3] - t[:, 2]) / (ref_b - ref_a)
    out = pd.DataFrame(index=results.index)
    out["r_start"] = (t[:, 1] - t[:, 0]) / 5 / ref
    for j, name in ((4, "r_seg3"), (5, "r_seg2"), (6, "r_seg1")):
        out[name] = (t[:, j + 1] - t[:, j]) / 5 / ref
    out["male"] = (results["sex"] == "M").astype(float)
    out["age"] = results["age"].fillna(40.0)
    return out


def fit_baseline(x: pd.DataFrame, y: pd.Series) -> np.ndarray:
    mean, scale = x.mean().to_numpy(), x.std().to_numpy()
    z = (x.to_numpy() - mean) / scale
    beta = _fit_grouped_logistic(z, y.to_numpy(float), np.ones(len(y)), np.zeros(len(y), int), 1, 0)
    return np.concatenate([[beta[0] - (beta[1:] * mean / scale).sum()], beta[1:] / scale])


def evaluate(results: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for km in CHECKPOINTS:
        table = training_table(results, km)
        base = baseline_features(results, km).loc[table.index]
        ok = base.notna().all(axis=1)
        table, base = table[ok], base[ok]
        t = cumulative_time_at(
            [30.0, 35.0],
            results.loc[table.index, ["30K", "35K"]].to_numpy(float),
            [30.0, 35.0],
            35.0,
        )
        ref = np.exp(table["log_ref_pace"]) * 360.0
        not_slowing = ((t[:, 1] - t[:, 0]) / 5 / ref <= NOT_SLOWING_RATIO).to_numpy()
        for train_race in RACES:
            test_race = next(r for r in RACES if r != train_race)
            tr = (table["race"] == train_race).to_numpy()
            te = (table["race"] == test_race).to_numpy()
            model = fit_checkpoint(table[tr])
            prevalence = float(table.loc[tr, "fmf"].mean())
            p_model = model.predict_proba(table.loc[te, list(FEATURES)])[:, 1]
            beta = fit_baseline(base[tr], table.loc[tr, "fmf"])
            p_base = expit(beta[0] + base[te].to_numpy() @ beta[1:])
            subsets = [("all", np.ones(te.sum(), bool), prevalence)]
            if km == 35.0:
                # The constant forecast for a subset is the training race's rate in that subset.
                train_rate = float(table.loc[tr, "fmf"].to_numpy()[not_slowing[tr]].mean())
                subsets.append(("not slowing", not_slowing[te], train_rate))
            y = table.loc[te, "fmf"].to_numpy()
            for subset, mask, rate in subsets:
                for name, p in (("model", p_model), ("baseline", p_base)):
                    metrics = summarize_predictions(y[mask], p[mask], rate)
                    rows.append(
                        {"km": km, "train": train_race, "test": test_race, "subset": subset}
                        | {"method": name}
                        | metrics
                    )
    return pd.DataFrame(rows)


def main(argv: list[str]) -> int:
    splits = Path(argv[0]) if argv else DEFAULT_SPLITS
    results = load_races(splits)
    table = evaluate(results)
    pd.set_option("display.width", 200)
    cols = ["km", "train", "subset", "method", "n", "prevalence", "auc", "brier"]
    cols += ["brier_prevalence", "cal_slope", "cal_intercept", "ece"]
    print(table[cols].to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
