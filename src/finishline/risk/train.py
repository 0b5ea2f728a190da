"""Reproduce the shipped parameters: ``python -m finishline.risk.train [SPLITS_DIR] [--out F]``.

Fits one :class:`~finishline.risk.model.FinalMileRiskModel` per chip checkpoint on BOTH shared
races (Boston 2014 and Chicago 2023, finishers only), each race with its own intercept and equal
total weight, and writes ``params.json`` beside this module.

What is learned from data: the slopes (shared by the races), one intercept per race, the
bootstrap covariance of the parameters, and the spread of race intercepts. What is assumed:
that a new race's base rate behaves like a draw around the mean of these two races' intercepts
(two races are a thin basis for that spread), and that the FMF label from chip mats
(40 km -> finish vs 5 -> 20 km) transfers to watch data.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from finishline.risk.checkpoints import CHECKPOINTS_KM, PARAMS_PATH, CheckpointRiskModel
from finishline.risk.chip import load_boston_2014, load_chicago_2023
from finishline.risk.definition import chip_final_pace_ratio, is_final_mile_failure
from finishline.risk.features import FEATURES, frame_features
from finishline.risk.model import FinalMileRiskModel

DEFAULT_SPLITS = Path(__file__).resolve().parents[3].parent / "shared" / "splits"
L2 = 1.0
N_BOOTSTRAP = 40
SEED = 20140421


def load_races(splits_dir: str | Path = DEFAULT_SPLITS) -> pd.DataFrame:
    """Both shared races as one standard frame with ``race``, ``pace_ratio`` and ``fmf``."""
    splits_dir = Path(splits_dir)
    frames = [
        load_boston_2014(splits_dir / "boston_2014.csv"),
        load_chicago_2023(splits_dir / "chicago_2023.csv"),
    ]
    results = pd.concat(frames, ignore_index=True)
    results["pace_ratio"] = chip_final_pace_ratio(
        results["5K"], results["20K"], results["40K"], results["Finish"]
    )
    results["fmf"] = is_final_mile_failure(results["pace_ratio"])
    return results


def training_table(results: pd.DataFrame, km: float) -> pd.DataFrame:
    """Features at ``km`` plus ``fmf`` and ``race``, rows with any NaN dropped."""
    table = frame_features(km, results)
    table["fmf"] = results["fmf"]
    table["race"] = results["race"]
    return table.dropna(subset=[*FEATURES, "fmf"])


def race_balanced_weights(race: pd.Series) -> np.ndarray:
    """Weights giving every race the same total weight (mean weight 1)."""
    counts = race.map(race.value_counts())
    n_races = race.nunique()
    return (len(race) / n_races / counts).to_numpy(dtype=float)


def fit_checkpoint(
    table: pd.DataFrame, l2: float = L2, n_bootstrap: int = 0, seed: int = SEED
) -> FinalMileRiskModel:
    """Fit one checkpoint model on a :func:`training_table` (races balanced, own intercepts)."""
    model = FinalMileRiskModel(l2=l2, n_bootstrap=n_bootstrap, random_state=seed)
    return model.fit(
        table[list(FEATURES)],
        table["fmf"],
        sample_weight=race_balanced_weights(table["race"]),
        groups=table["race"],
    )


def fit_all(
    results: pd.DataFrame,
    checkpoints: Sequence[float] = CHECKPOINTS_KM,
    n_bootstrap: int = N_BOOTSTRAP,
    l2: float = L2,
) -> CheckpointRiskModel:
    """Fit every checkpoint model on ``results`` (all races in it)."""
    models = {}
    for km in checkpoints:
        table = training_table(results, km)
        if table["fmf"].nunique() < 2:
            continue
        models[float(km)] = fit_checkpoint(table, l2=l2, n_bootstrap=n_bootstrap)
    # A checkpoint seen in one race only (Boston 2014 has no 15K mat) cannot estimate the
    # race-to-race spread; it borrows the mean spread of the checkpoints that can.
    spreads = [m.race_sd_ for m in models.values() if len(m.group_intercepts_) > 1]
    for model in models.values():
        if len(model.group_intercepts_) == 1 and spreads:
            model.race_sd_ = float(np.mean(spreads))
    return CheckpointRiskModel(models)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("splits_dir", nargs="?", default=str(DEFAULT_SPLITS))
    parser.add_argument("--out", default=str(PARAMS_PATH))
    args = parser.parse_args(argv)
    results = load_races(args.splits_dir)
    model = fit_all(results)
    params = model.to_dict()
    params["training"] = {
        "races": {
            race: {"n": int(len(g)), "fmf_rate": round(float(g["fmf"].mean()), 4)}
            for race, g in results.dropna(subset=["fmf"]).groupby("race")
        },
        "l2": L2,
        "n_bootstrap": N_BOOTSTRAP,
        "seed": SEED,
    }
    Path(args.out).write_text(json.dumps(params, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    for race, info in params["training"]["races"].items():
        print(f"  {race}: {info['n']} finishers with a label, FMF rate {info['fmf_rate']:.3f}")
    for km, sub in sorted(model.models.items()):
        coefs = ", ".join(f"{n}={c:+.2f}" for n, c in zip(sub.term_names_, sub.coef_, strict=True))
        races = ", ".join(f"{r}={v:+.2f}" for r, v in sub.group_intercepts_.items())
        print(
            f"{km:5.1f} km  intercept {sub.intercept_:+.2f} ({races}; race sd {sub.race_sd_:.2f})"
        )
        print(f"          {coefs}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
