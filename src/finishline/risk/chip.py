"""Chip-timing results: parse split tables into one standard frame of cumulative seconds.

The standard frame has one row per runner and these columns:

===========  =======  ==========================================================
column       dtype    meaning
===========  =======  ==========================================================
``id``       str      runner identifier: the first of :data:`ID_COLUMNS` present, else
                      the row number (``attrs["id_column"]`` says which)
``5K`` ...   float    cumulative clock time (s) at each mat in :data:`CHIP_MATS_KM`
``sex``      object   ``"M"``, ``"F"`` or None
``age``      float    age in years (NaN when unknown; an age group's midpoint)
``issue``    str      why a value was dropped ("" when the row parsed cleanly)
===========  =======  ==========================================================

Times are accepted as ``H:MM:SS``, ``M:SS`` or plain seconds, parsed by numpy over the whole
column (no Python per cell). Malformed or impossible values become NaN and are named in
``issue``; the parser never raises on a bad cell, only on a file that is not a results table.
"""

from __future__ import annotations

import re
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

_MISSING_TOKENS = ("", "-", "\u2013", "\u2014", "nan", "none", "na", "n/a", "dnf", "dns")
_SEX_CODES = {"m": "M", "male": "M", "man": "M", "f": "F", "female": "F", "woman": "F", "w": "F"}
#: Accepted runner-id columns (case, ``_`` and ``-`` ignored), in order of preference.
ID_COLUMNS: tuple[str, ...] = ("id", "bib", "bib number", "runner id", "name")
#: What ``id_column`` says when no id column was found and the row number is the id.
ROW_NUMBER = "row number"
_SEX_COLUMNS = ("sex", "gender")
_AGE_COLUMNS = ("age", "age group")
_DIGIT_0, _COLON, _DOT = ord("0"), ord(":"), ord(".")


def _column_key(name: object) -> str:
    """A column name compared case-insensitively, ``_``/``-`` as spaces, spaces collapsed."""
    return " ".join(str(name).strip().lower().replace("_", " ").replace("-", " ").split())


def _clock_seconds(text: np.ndarray) -> np.ndarray:
    """Seconds from stripped ``H:MM:SS`` / ``M:SS`` / ``S`` strings, NaN where malformed.

    ``H:MM:SS`` and ``HH:MM:SS`` (what timing companies publish) take a fast path of a few
    whole-column operations; every other cell goes through :func:`_general_clock_seconds`.
    """
    n = text.shape[0]
    width = text.dtype.itemsize // 4
    out = np.full(n, np.nan)
    if n == 0 or width == 0:
        return out
    codes = np.ascontiguousarray(text).view(np.uint32).reshape(n, width)
    length = np.count_nonzero(codes, axis=1)
    fast = np.zeros(n, dtype=bool)
    for size in (7, 8):
        rows = np.flatnonzero(length == size) if width >= size else np.zeros(0, int)
        if not rows.size:
            continue
        value = codes[rows, :size].astype(np.int32) - _DIGIT_0
        colon = _COLON - _DIGIT_0
        digits = [j for j in range(size) if j not in (size - 3, size - 6)]
        layout = ((value[:, digits] >= 0) & (value[:, digits] <= 9)).all(axis=1)
        layout &= (value[:, size - 3] == colon) & (value[:, size - 6] == colon)
        hours = value[:, 0] if size == 7 else 10 * value[:, 0] + value[:, 1]
        minutes = 10 * value[:, size - 5] + value[:, size - 4]
        seconds = 10 * value[:, size - 2] + value[:, size - 1]
        ok = layout & (minutes < 60) & (seconds < 60)
        out[rows[ok]] = (hours * 3600 + minutes * 60 + seconds)[ok].astype(float)
        fast[rows[layout]] = True  # a 7/8-char cell that is not a clock: the general path
    rest = np.flatnonzero(~fast)
    if rest.size:
        out[rest] = _general_clock_seconds(text[rest])
    return out


def _general_clock_seconds(text: np.ndarray) -> np.ndarray:
    """Seconds from stripped ``H:MM:SS`` / ``M:SS`` / ``S`` strings, NaN where malformed.

    Vectorised over the cells: the loop runs over character positions (a dozen), each step a
    numpy operation on the whole column. Every field must have digits; fields after the first
    must be below 60; a decimal point may appear only in the last field.
    """
    n = text.shape[0]
    width = text.dtype.itemsize // 4
    codes = np.zeros((n, width + 1), dtype=np.uint32)
    if width:
        codes[:, :width] = np.ascontiguousarray(text).view(np.uint32).reshape(n, width)
    total = np.zeros(n)
    field = np.zeros(n)
    scale = np.ones(n)
    digits = np.zeros(n, dtype=int)
    n_fields = np.zeros(n, dtype=int)
    seen_dot = np.zeros(n, dtype=bool)
    ok = np.ones(n, dtype=bool)
    ended = np.zeros(n, dtype=bool)
    for j in range(width + 1):
        c = codes[:, j]
        live = ~ended
        is_digit = live & (c >= _DIGIT_0) & (c <= _DIGIT_0 + 9)
        value = c.astype(float) - _DIGIT_0
        scale = np.where(is_digit & seen_dot, scale / 10.0, scale)
        field = np.where(
            is_digit, np.where(seen_dot, field + value * scale, field * 10 + value), field
        )
        digits += is_digit
        closes = live & ((c == _COLON) | (c == 0))
        ok &= ~closes | ((digits > 0) & ((n_fields == 0) | (field < 60)))
        ok &= ~(live & (c == _COLON) & seen_dot)
        ok &= ~(live & (c == _DOT) & seen_dot)
        ok &= ~(live & ~is_digit & ~closes & (c != _DOT))
        seen_dot |= live & (c == _DOT)
        total = np.where(closes, total * 60.0 + field, total)
        n_fields += closes
        field = np.where(closes, 0.0, field)
        digits = np.where(closes, 0, digits)
        ended |= live & (c == 0)
    ok &= n_fields <= 3
    return np.where(ok, total, np.nan)


def _stripped_text(values: pd.Series | np.ndarray) -> np.ndarray:
    """Cells as stripped fixed-width strings (missing cells become "nan")."""
    return np.strings.strip(np.asarray(values, dtype=str))


def _parse(values: pd.Series | np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(seconds, missing, stripped text) for an array of durations (any shape)."""
    text = _stripped_text(values)
    seconds = _clock_seconds(text.ravel()).reshape(text.shape)
    # Only cells that did not parse can be a missing token: lower-case just those.
    missing = text == ""
    unparsed = np.isnan(seconds) & ~missing
    missing[unparsed] = np.isin(np.strings.lower(text[unparsed]), _MISSING_TOKENS)
    return np.where(missing, np.nan, seconds), missing, text


def parse_duration_s(values: pd.Series) -> pd.Series:
    """Parse durations written as ``H:MM:SS``, ``M:SS`` or seconds into float seconds.

    Vectorised (numpy over the whole column, no Python per cell).

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
    seconds, _, _ = _parse(values.to_numpy())
    return pd.Series(seconds, index=values.index, dtype=float)


def _by_unique(values: pd.Series, parse) -> np.ndarray:
    """Apply ``parse`` (a function of one stripped string) once per distinct value."""
    uniques, inverse = np.unique(_stripped_text(values.to_numpy()), return_inverse=True)
    return np.array([parse(u) for u in uniques.tolist()], dtype=object)[inverse]


def _sex_code(text: str) -> str | None:
    return _SEX_CODES.get(text.lower())


def _age_years(text: str) -> float:
    """An age, or an age group's midpoint ("30-34" -> 32, "80+" -> 82, "19 and under" -> 18)."""
    match = re.fullmatch(r"(\d+(?:\.\d+)?)", text)
    age = float(match.group(1)) if match else np.nan
    if match := re.fullmatch(r"(\d+)\s*[-\u2013]\s*(\d+)", text):
        age = (float(match.group(1)) + float(match.group(2))) / 2
    elif match := re.fullmatch(r"(\d+)\s*\+", text):
        age = float(match.group(1)) + 2
    elif match := re.fullmatch(r"(\d+)\s*(?:and under|&\s*under|or under)", text):
        age = float(match.group(1))
    return age if 5 <= age <= 110 else np.nan


def _non_monotone(values: np.ndarray) -> np.ndarray:
    """Cells whose cumulative time does not exceed an earlier mat's time."""
    running_max = np.fmax.accumulate(np.where(np.isnan(values), -np.inf, values), axis=1)
    prev_max = np.concatenate([np.full((len(values), 1), -np.inf), running_max[:, :-1]], axis=1)
    return np.isfinite(values) & (values <= prev_max)


def find_columns(columns: pd.Index, source: str | PathLike[str] | None = None) -> dict:
    """Map the roles ``id``, ``sex``, ``age`` and each mat label to a column of ``columns``.

    Raises
    ------
    InputDataError
        Two columns with the same name ignoring case.
    """
    keys = [_column_key(c) for c in columns]
    dupes = sorted({k for k in keys if keys.count(k) > 1})
    if dupes:
        raise InputDataError(f"duplicate columns (ignoring case): {', '.join(dupes)}", source)
    by_key = dict(zip(keys, columns, strict=True))
    found = {label: by_key.get(_column_key(label)) for label in CHIP_MATS_KM}
    for role, names in (("id", ID_COLUMNS), ("sex", _SEX_COLUMNS), ("age", _AGE_COLUMNS)):
        found[role] = next((by_key[n] for n in names if n in by_key), None)
    return found


def standardise_results(
    table: pd.DataFrame, up_to_km: float | None = None, source: str | PathLike[str] | None = None
) -> pd.DataFrame:
    """Turn a raw results table into the standard frame.

    Parameters
    ----------
    table
        Raw table: an id column (:data:`ID_COLUMNS`, case-insensitive; the row number when
        there is none), any subset of split columns (names as in :data:`CHIP_MATS_KM`,
        case-insensitive), optional ``sex``/``gender`` and ``age``/``age group``. Values are
        ``H:MM:SS``, ``M:SS`` or seconds.
    up_to_km
        Only mats at or before this distance (km) are read; later columns are ignored
        entirely, so their content (even garbage) cannot change anything downstream.
    source
        The file the table came from, for error messages.

    Returns
    -------
    pandas.DataFrame
        The standard frame (see the module docstring); ``attrs["id_column"]`` names the
        column the ids came from (:data:`ROW_NUMBER` when none). Mats that are absent or
        beyond ``up_to_km`` are NaN columns.

    Raises
    ------
    InputDataError
        Two columns with the same name ignoring case.
    """
    table = table.reset_index(drop=True)
    found = find_columns(table.columns, source)
    n = len(table)
    if found["id"] is None:
        ids = np.arange(1, n + 1).astype(str)
    else:
        ids = _stripped_text(table[found["id"]].to_numpy())
        ids = np.where(table[found["id"]].isna().to_numpy(), "", ids)
    out = pd.DataFrame({"id": ids.astype(object)})
    times = np.full((n, len(SPLIT_COLUMNS)), np.nan)
    issues: dict[int, list[str]] = {}
    read = [
        (j, label)
        for j, (label, km) in enumerate(CHIP_MATS_KM.items())
        if found[label] is not None and (up_to_km is None or km <= up_to_km + 1e-9)
    ]
    if read:
        # One vectorised parse over every mat column at once.
        raw = np.column_stack([_stripped_text(table[found[label]].to_numpy()) for _, label in read])
        seconds, missing, text = _parse(raw)
        times[:, [j for j, _ in read]] = seconds
        for i, c in zip(*np.nonzero(~missing & np.isnan(seconds)), strict=True):
            issues.setdefault(int(i), []).append(f"malformed {read[c][1]} value {text[i, c][:20]}")
    bad = _non_monotone(times)
    for i in np.flatnonzero(bad.any(axis=1)):
        first = SPLIT_COLUMNS[int(bad[i].argmax())]
        issues.setdefault(int(i), []).append(f"time at {first} not after earlier mats")
    times[bad] = np.nan
    for j, label in enumerate(SPLIT_COLUMNS):
        out[label] = times[:, j]
    out["sex"] = None if found["sex"] is None else _by_unique(table[found["sex"]], _sex_code)
    age = np.nan if found["age"] is None else _by_unique(table[found["age"]], _age_years)
    out["age"] = np.asarray(age, dtype=float) if found["age"] is not None else np.nan
    issue = np.full(n, "", dtype=object)
    for i, texts in issues.items():
        issue[i] = "; ".join(texts)
    out["issue"] = issue
    out.attrs["id_column"] = ROW_NUMBER if found["id"] is None else str(found["id"])
    return out


def read_results_csv(path: str | PathLike[str], up_to_km: float | None = None) -> pd.DataFrame:
    """Read a chip-results CSV into the standard frame.

    Parameters
    ----------
    path
        CSV with an id column (``id``, ``bib``, ``bib number``, ``runner id`` or ``name``,
        any case; else the row number is the id), cumulative split columns
        ``5K,10K,15K,20K,Half,25K,30K,35K,40K`` (any subset, case-insensitive; optional
        ``Finish``), optional ``sex``/``gender`` and ``age``/``age group``.
    up_to_km
        Read only mats at or before this distance (km): later columns are not even parsed.

    Returns
    -------
    pandas.DataFrame
        The standard frame; ``attrs["id_column"]`` says where the ids came from.

    Raises
    ------
    InputDataError
        The file is missing, empty or not CSV.
    """
    path = Path(path)
    options = {"dtype": object, "keep_default_na": False, "skipinitialspace": True}
    try:
        header = pd.read_csv(path, nrows=0, **options).columns
        found = find_columns(header, path)
        wanted = {found[role] for role in ("id", "sex", "age")}
        wanted |= {
            found[label]
            for label, km in CHIP_MATS_KM.items()
            if up_to_km is None or km <= up_to_km + 1e-9
        }
        wanted.discard(None)
        table = pd.read_csv(path, usecols=[c for c in header if c in wanted], **options)
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
