"""Reproduce the shipped parameters: ``python -m finishline.risk.train [SPLITS_DIR] [--out F]``.

Fits one :class:`~finishline.risk.model.FinalMileRiskModel` on the rows of every chip mat from
5 to 40 km (5, 10, 15, 20, Half, 25, 30, 35, 40) of BOTH shared races at once (Boston 2014 and
Chicago 2023, finishers only), each race with its own intercept curve and, at every mat, the
same total weight; and writes ``params.json`` beside this module.

What is learned from data: the coefficient curves (shared by the races), one intercept curve
per race, the bootstrap covariance of the parameters (runners resampled with all their mats),
and the spread of race intercepts. What is assumed: that a new race's base rate behaves like a
draw around the mean of these two races' intercepts (two races are a thin basis for that
spread), and that the FMF label from chip mats (40 km -> finish vs 5 -> 20 km) transfers to
watch data (the last mile).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from finishline.risk.chip import CHIP_MATS_KM, load_boston_2014, load_chicago_2023
from finishline.risk.definition import chip_final_pace_ratio, is_final_mile_failure
from finishline.risk.features import FEATURES, LANDMARK, frame_features
from finishline.risk.landmark import PARAMS_PATH, LandmarkRiskModel
from finishline.risk.model import FinalMileRiskModel

DEFAULT_SPLITS = Path(__file__).resolve().parents[3].parent / "shared" / "splits"
#: The training landmarks: every mat from 5 to 40 km (the Half mat included).
LANDMARKS_KM: tuple[float, ...] = tuple(d for d in CHIP_MATS_KM.values() if 5.0 <= d <= 40.0)
L2 = 1.0
SMOOTHNESS = 3000.0
#: The race intercept curves are smoothed ten times less than the slopes: base rates may
#: bend with distance more freely than effects.
INTERCEPT_SMOOTHNESS = 0.1
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
    """Features at mat ``km`` plus ``fmf``, ``race`` and ``runner``; rows with NaN dropped."""
    table = frame_features(km, results)
    table["fmf"] = results["fmf"]
    table["race"] = results["race"]
    table["runner"] = results["race"] + ":" + results.index.astype(str)
    return table.dropna(subset=[*FEATURES, "fmf"])


def stacked_table(results: pd.DataFrame, landmarks: Sequence[float] = LANDMARKS_KM) -> pd.DataFrame:
    """:func:`training_table` at every landmark, stacked (a mat no race has is skipped)."""
    tables = [training_table(results, km) for km in landmarks]
    return pd.concat([t for t in tables if len(t)], ignore_index=True)


def race_balanced_weights(race: pd.Series, landmark: pd.Series | None = None) -> np.ndarray:
    """Weights giving every race the same total weight at each landmark (mean weight 1).

    A landmark only one race has (Boston 2014 has no 15K mat) gives that race all of it.
    """
    race_code = pd.factorize(race)[0]
    land_code = np.zeros(len(race), dtype=int) if landmark is None else pd.factorize(landmark)[0]
    cell = land_code * (race_code.max() + 1) + race_code
    cell_count = np.bincount(cell)[cell].astype(float)
    land_count = np.bincount(land_code)[land_code].astype(float)
    races_here = np.array(
        [len(np.unique(race_code[land_code == j])) for j in range(land_code.max() + 1)]
    )
    return land_count / races_here[land_code] / cell_count


def fit_model(
    table: pd.DataFrame,
    l2: float = L2,
    smoothness: float = SMOOTHNESS,
    n_bootstrap: int = 0,
    seed: int = SEED,
) -> FinalMileRiskModel:
    """Fit the estimator on a :func:`stacked_table` (races balanced, own intercept curves)."""
    model = FinalMileRiskModel(
        l2=l2,
        smoothness=smoothness,
        intercept_smoothness=INTERCEPT_SMOOTHNESS,
        n_bootstrap=n_bootstrap,
        random_state=seed,
    )
    return model.fit(
        table[[*FEATURES, LANDMARK]],
        table["fmf"],
        sample_weight=race_balanced_weights(table["race"], table[LANDMARK]),
        groups=table["race"],
        clusters=table["runner"],
    )


def fit_all(
    results: pd.DataFrame,
    landmarks: Sequence[float] = LANDMARKS_KM,
    n_bootstrap: int = N_BOOTSTRAP,
    l2: float = L2,
    smoothness: float = SMOOTHNESS,
) -> LandmarkRiskModel:
    """Fit the shipped model on ``results`` (all races in it)."""
    table = stacked_table(results, landmarks)
    estimator = fit_model(table, l2=l2, smoothness=smoothness, n_bootstrap=n_bootstrap)
    return LandmarkRiskModel(estimator)


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
        "landmarks_km": list(LANDMARKS_KM),
        "l2": L2,
        "smoothness": SMOOTHNESS,
        "intercept_smoothness": INTERCEPT_SMOOTHNESS,
        "n_bootstrap": N_BOOTSTRAP,
        "seed": SEED,
    }
    Path(args.out).write_text(model.dumps(params), encoding="utf-8")
    print(f"wrote {args.out}")
    for race, info in params["training"]["races"].items():
        print(f"  {race}: {info['n']} finishers with a label, FMF rate {info['fmf_rate']:.3f}")
    est = model.estimator
    for j, km in enumerate(est.knots):
        races = ", ".join(f"{r}={v[j]:+.2f}" for r, v in est.group_intercepts_.items())
        print(f"{km:5.1f} km  intercept {est.intercept_[j]:+.2f} ({races})")
    for i, name in enumerate(est.term_names_):
        print(f"  {name:28s} " + " ".join(f"{c:+.2f}" for c in est.coef_[:, i]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
