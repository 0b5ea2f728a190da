"""Chip-timing results: parse split tables into one standard frame of cumulative seconds.

The standard frame has one row per runner and these columns:

===========  =======  ==========================================================
column       dtype    meaning
===========  =======  ==========================================================
``id``       str      runner identifier (bib)
``5K`` ...   float    cumulative clock time (s) at each mat in :data:`CHIP_MATS_KM`
``sex``      object   ``"M"``, ``"F"`` or None
``age``      float    age in years (NaN when unknown; an age group's midpoint)
``issue``    str      why a value was dropped ("" when the row parsed cleanly)
===========  =======  ==========================================================

Times are accepted as ``H:MM:SS``, ``M:SS`` or plain seconds. Malformed or impossible values
become NaN and are named in ``issue``; the parser never raises on a bad cell, only on a file
that is not a results table at all.
"""

from __future__ import annotations

from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd

from finishline.errors import InputDataError
from finishline.risk.definition import MARATHON_KM

CHIP_MATS_KM: dict[str, float] = {
    "5K": 5.0,
    "10K": 10.0,
    "15K": 15.0,
    "20K": 20.0,
    "Half": 21.0975,
    "25K": 25.0,
    "30K": 30.0,
    "35K": 35.0,
    "40K": 40.0,
    "Finish": MARATHON_KM,
}
"""Mat label -> distance from the start (km)."""

SPLIT_COLUMNS: tuple[str, ...] = tuple(CHIP_MATS_KM)

_MISSING_TOKENS = {"", "-", "\u2013", "\u2014", "nan", "none", "na", "n/a", "dnf", "dns"}
_SEX_CODES = {"m": "M", "male": "M", "man": "M", "f": "F", "female": "F", "woman": "F", "w": "F"}


def parse_duration_s(values: pd.Series) -> pd.Series:
    """Parse durations written as ``H:MM:SS``, ``M:SS`` or seconds into float seconds.

    Parameters
    ----------
    values
        Strings or numbers. Blank cells and dash-like tokens (``-``, en dash) are missing.

    Returns
    -------
    pandas.Series
        Seconds (float); NaN where the value is missing or malformed (minutes or seconds
        fields of 60 or more in a clock string, negative values, non-numbers).
    """
    text = values.astype("string").str.strip()
    missing = (text.isna() | text.str.lower().isin(_MISSING_TOKENS)).to_numpy(dtype=bool)
    clean = text.mask(pd.Series(missing, index=text.index))
    parts = clean.str.split(":", expand=True, regex=False)
    n_fields = (clean.str.count(":").astype(float) + 1).to_numpy(dtype=float, na_value=np.nan)
    fields = [
        pd.to_numeric(parts[c], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        for c in parts.columns
    ]
    nan = np.full(len(values), np.nan)
    fields = (fields + [nan, nan, nan])[:3]
    with np.errstate(invalid="ignore"):
        minutes_ok = (fields[1] >= 0) & (fields[1] < 60)
        seconds = np.select(
            [
                n_fields == 1,
                (n_fields == 2) & (fields[0] >= 0) & minutes_ok,
                (n_fields == 3) & (fields[0] >= 0) & minutes_ok & (fields[2] < 60),
            ],
            [fields[0], fields[0] * 60 + fields[1], fields[0] * 3600 + fields[1] * 60 + fields[2]],
            default=np.nan,
        )
        seconds = np.where(missing | ~(seconds >= 0), np.nan, seconds)
    return pd.Series(seconds, index=values.index, dtype=float)


def _parse_sex(values: pd.Series) -> pd.Series:
    codes = values.astype("string").str.strip().str.lower().map(_SEX_CODES)
    return codes.astype(object).where(codes.notna(), None)


def _parse_age(values: pd.Series) -> pd.Series:
    """Ages as numbers, or age groups ("30-34" -> 32, "80+" -> 82, "19 and under" -> 18)."""
    text = values.astype("string").str.strip()
    age = pd.to_numeric(text, errors="coerce")
    lo_hi = text.str.extract(r"^(\d+)\s*[-\u2013]\s*(\d+)$").astype(float)
    age = age.fillna((lo_hi[0] + lo_hi[1]) / 2)
    plus = text.str.extract(r"^(\d+)\s*\+$")[0].astype(float)
    age = age.fillna(plus + 2)
    under = text.str.extract(r"^(\d+)\s*(?:and under|&\s*under|or under)$")[0].astype(float)
    age = age.fillna(under)
    return age.where((age >= 5) & (age <= 110)).astype(float)


def _issues_for_bad_cells(raw: pd.Series, parsed: pd.Series, label: str) -> pd.Series:
    """'' or 'malformed <label> value ...' where a non-blank cell did not parse."""
    text = raw.astype("string").str.strip()
    blank = text.isna() | text.str.lower().isin(_MISSING_TOKENS)
    bad = ~blank & parsed.isna()
    return pd.Series(
        np.where(bad, f"malformed {label} value " + text.fillna("").str.slice(0, 20), ""),
        index=raw.index,
    )


def _non_monotone_issue(times: pd.DataFrame) -> pd.Series:
    """Name the first mat whose cumulative time does not exceed an earlier mat's time."""
    values = times.to_numpy(dtype=float)
    running_max = np.fmax.accumulate(np.where(np.isnan(values), -np.inf, values), axis=1)
    prev_max = np.concatenate([np.full((len(values), 1), -np.inf), running_max[:, :-1]], axis=1)
    bad = np.isfinite(values) & (values <= prev_max)
    first = bad.argmax(axis=1)
    labels = np.array(times.columns, dtype=object)[first]
    issue = np.where(bad.any(axis=1), "time at " + labels + " not after earlier mats", "")
    return pd.Series(issue, index=times.index), bad


def standardise_results(
    table: pd.DataFrame, up_to_km: float | None = None, source: str | PathLike[str] | None = None
) -> pd.DataFrame:
    """Turn a raw results table into the standard frame.

    Parameters
    ----------
    table
        Raw table: an ``id`` column, any subset of split columns (names as in
        :data:`CHIP_MATS_KM`, case-insensitive), optional ``sex``/``gender`` and ``age``.
        Values are ``H:MM:SS``, ``M:SS`` or seconds.
    up_to_km
        Only mats at or before this distance (km) are read; later columns are ignored
        entirely, so their content (even garbage) cannot change anything downstream.
    source
        The file the table came from, for error messages.

    Returns
    -------
    pandas.DataFrame
        The standard frame (see the module docstring). Mats that are absent or beyond
        ``up_to_km`` are NaN columns.

    Raises
    ------
    InputDataError
        No ``id`` column, or two columns with the same name ignoring case.
    """
    lower = [str(c).strip().lower() for c in table.columns]
    dupes = sorted({c for c in lower if lower.count(c) > 1})
    if dupes:
        raise InputDataError(f"duplicate columns (ignoring case): {', '.join(dupes)}", source)
    by_name = dict(zip(lower, table.columns, strict=True))
    if "id" not in by_name:
        raise InputDataError(
            f"no 'id' column (found: {', '.join(map(str, table.columns))})", source
        )
    out = pd.DataFrame({"id": table[by_name["id"]].astype("string").fillna("").str.strip()})
    issues = pd.Series("", index=table.index, dtype=object)
    for label, km in CHIP_MATS_KM.items():
        column = by_name.get(label.lower())
        if column is None or (up_to_km is not None and km > up_to_km + 1e-9):
            out[label] = np.nan
            continue
        parsed = parse_duration_s(table[column])
        out[label] = parsed.to_numpy()
        issues = _join_issues(issues, _issues_for_bad_cells(table[column], parsed, label))
    order_issue, bad = _non_monotone_issue(out[list(SPLIT_COLUMNS)])
    out[list(SPLIT_COLUMNS)] = out[list(SPLIT_COLUMNS)].mask(bad)
    issues = _join_issues(issues, order_issue)
    sex_col = by_name.get("sex", by_name.get("gender"))
    out["sex"] = None if sex_col is None else _parse_sex(table[sex_col]).to_numpy()
    out["age"] = np.nan if "age" not in by_name else _parse_age(table[by_name["age"]]).to_numpy()
    out["issue"] = issues.to_numpy()
    return out.reset_index(drop=True)


def _join_issues(left: pd.Series, right: pd.Series) -> pd.Series:
    both = (left != "") & (right != "")
    return pd.Series(np.where(both, left + "; " + right, left + right), index=left.index)


def read_results_csv(path: str | PathLike[str], up_to_km: float | None = None) -> pd.DataFrame:
    """Read a chip-results CSV into the standard frame.

    Parameters
    ----------
    path
        CSV with ``id``, cumulative split columns ``5K,10K,15K,20K,Half,25K,30K,35K,40K``
        (any subset, case-insensitive; optional ``Finish``), optional ``sex``/``gender`` and
        ``age``.
    up_to_km
        Read only mats at or before this distance (km).

    Returns
    -------
    pandas.DataFrame
        The standard frame.

    Raises
    ------
    InputDataError
        The file is missing, empty, not CSV, or has no ``id`` column.
    """
    path = Path(path)
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except FileNotFoundError as exc:
        raise InputDataError("file not found", path) from exc
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputDataError(f"not a readable CSV table ({exc})", path) from exc
    return standardise_results(table, up_to_km=up_to_km, source=path)


def load_boston_2014(path: str | PathLike[str]) -> pd.DataFrame:
    """Boston Marathon 2014 results (shared ``splits/boston_2014.csv``) as a standard frame.

    Splits are decimal minutes (no 15K mat); ``official`` is the finish time. Wheelchair
    entries (bib ``W*``) are excluded.

    Parameters
    ----------
    path
        The CSV file.

    Returns
    -------
    pandas.DataFrame
        The standard frame with a ``race`` column ``"boston_2014"``.
    """
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    raw = raw[~raw["bib"].str.upper().str.startswith("W")]
    table = pd.DataFrame({"id": raw["bib"], "sex": raw["gender"], "age": raw["age"]})
    columns = {"5k": "5K", "10k": "10K", "20k": "20K", "half": "Half", "25k": "25K"}
    columns |= {"30k": "30K", "35k": "35K", "40k": "40K", "official": "Finish"}
    for source_col, label in columns.items():
        minutes = pd.to_numeric(raw[source_col].str.strip(), errors="coerce")
        table[label] = (minutes * 60.0).round(1).astype(str)
    frame = standardise_results(table.reset_index(drop=True), source=path)
    frame["race"] = "boston_2014"
    return frame


def load_chicago_2023(path: str | PathLike[str], drop_estimated: bool = True) -> pd.DataFrame:
    """Chicago Marathon 2023 results (shared ``splits/chicago_2023.csv``) as a standard frame.

    Parameters
    ----------
    path
        The CSV file.
    drop_estimated
        Treat splits the timing system estimated (``est_*`` = 1) as missing: an estimated
        split is interpolated from later mats, so it would leak the future into features and
        fake the final-segment label.

    Returns
    -------
    pandas.DataFrame
        The standard frame with a ``race`` column ``"chicago_2023"``. Age is the midpoint of
        the age group; "Non-binary"/"Not specified" sex is None.
    """
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    table = pd.DataFrame({"id": raw["Bib Number"], "sex": raw["Gender"], "age": raw["Age Group"]})
    for label in SPLIT_COLUMNS:
        values = raw[label]
        if drop_estimated and f"est_{label}" in raw:
            values = values.where(raw[f"est_{label}"].str.strip() != "1", "")
        table[label] = values
    frame = standardise_results(table, source=path)
    frame["race"] = "chicago_2023"
    return frame
