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

The rules live once, in an array core that needs numpy only (``finishline risk-splits`` must not
pay for importing pandas): :func:`read_results_table` and :func:`standardise_text` return a
:class:`ChipTable` (a dict of numpy columns); :func:`read_results_csv` and
:func:`standardise_results` are the same calls returning the standard DataFrame.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from os import PathLike
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import numpy.typing as npt

from finishline.errors import InputDataError
from finishline.risk.clock import parse_durations, stripped_text
from finishline.risk.csv_in import read_csv_columns
from finishline.risk.definition import MARATHON_KM

if TYPE_CHECKING:
    import pandas as pd

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

_SEX_CODES = {"m": "M", "male": "M", "man": "M", "f": "F", "female": "F", "woman": "F", "w": "F"}
#: Accepted runner-id columns (case, ``_`` and ``-`` ignored), in order of preference.
ID_COLUMNS: tuple[str, ...] = ("id", "bib", "bib number", "runner id", "name")
#: What ``id_column`` says when no id column was found and the row number is the id.
ROW_NUMBER = "row number"
_SEX_COLUMNS = ("sex", "gender")
_AGE_COLUMNS = ("age", "age group")


def _column_key(name: object) -> str:
    """A column name compared case-insensitively, ``_``/``-`` as spaces, spaces collapsed."""
    return " ".join(str(name).strip().lower().replace("_", " ").replace("-", " ").split())


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
    import pandas as pd

    seconds, _, _ = parse_durations(values.to_numpy())
    return pd.Series(seconds, index=values.index, dtype=float)


def _by_unique(values: npt.ArrayLike, parse) -> np.ndarray:
    """Apply ``parse`` (a function of one stripped string) once per distinct value."""
    cells = stripped_text(values).tolist()
    # A dict of the few distinct values (sexes, age groups): no sort of 48,000 strings.
    parsed = {cell: parse(cell) for cell in dict.fromkeys(cells)}
    out = np.empty(len(cells), dtype=object)
    out[:] = [parsed[cell] for cell in cells]
    return out


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


def find_columns(columns: Sequence[object], source: str | PathLike[str] | None = None) -> dict:
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


def _mats_read(found: Mapping[str, object], up_to_km: float | None) -> list[tuple[int, str]]:
    """(index in :data:`SPLIT_COLUMNS`, label) of the mats present at or before ``up_to_km``."""
    return [
        (j, label)
        for j, (label, km) in enumerate(CHIP_MATS_KM.items())
        if found[label] is not None and (up_to_km is None or km <= up_to_km + 1e-9)
    ]


class ChipTable(NamedTuple):
    """The standard frame as numpy columns (what the DataFrame functions wrap)."""

    columns: dict[str, np.ndarray | None]
    """``id`` (object), each of :data:`SPLIT_COLUMNS` (float s), ``sex`` (object, None when
    the table has no sex column), ``age`` (float, None when it has no age column), ``issue``."""
    id_column: str
    """The column the ids came from (:data:`ROW_NUMBER` when none)."""


def standardise_text(
    found: Mapping[str, object],
    column: Callable[[object], np.ndarray],
    n_rows: int,
    up_to_km: float | None = None,
) -> ChipTable:
    """The standard columns from a table's cells: the rules of :func:`standardise_results`.

    Parameters
    ----------
    found
        :func:`find_columns` of the table's column names.
    column
        The cells of a column by name, as a str array (``""`` or ``"nan"`` when missing).
    n_rows
        Rows of the table.
    up_to_km
        Only mats at or before this distance (km) are read.

    Returns
    -------
    ChipTable
    """
    n = n_rows
    ids = (
        np.arange(1, n + 1).astype(str)
        if found["id"] is None
        else stripped_text(column(found["id"]))
    )
    times = np.full((n, len(SPLIT_COLUMNS)), np.nan)
    issues: dict[int, list[str]] = {}
    read = _mats_read(found, up_to_km)
    if read:
        # One vectorised parse over every mat column at once.
        raw = np.column_stack([column(found[label]) for _, label in read])
        seconds, missing, text = parse_durations(raw)
        times[:, [j for j, _ in read]] = seconds
        for i, c in zip(*np.nonzero(~missing & np.isnan(seconds)), strict=True):
            issues.setdefault(int(i), []).append(f"malformed {read[c][1]} value {text[i, c][:20]}")
    bad = _non_monotone(times)
    for i in np.flatnonzero(bad.any(axis=1)):
        first = SPLIT_COLUMNS[int(bad[i].argmax())]
        issues.setdefault(int(i), []).append(f"time at {first} not after earlier mats")
    times[bad] = np.nan
    columns: dict[str, np.ndarray | None] = {"id": ids.astype(object)}
    columns |= {label: times[:, j] for j, label in enumerate(SPLIT_COLUMNS)}
    columns["sex"] = None if found["sex"] is None else _by_unique(column(found["sex"]), _sex_code)
    columns["age"] = (
        None
        if found["age"] is None
        else np.asarray(_by_unique(column(found["age"]), _age_years), dtype=float)
    )
    issue = np.full(n, "", dtype=object)
    for i, texts in issues.items():
        issue[i] = "; ".join(texts)
    columns["issue"] = issue
    return ChipTable(columns, ROW_NUMBER if found["id"] is None else str(found["id"]))


def _results_frame(table: ChipTable) -> pd.DataFrame:
    """The standard DataFrame of a :class:`ChipTable`."""
    import pandas as pd

    columns = table.columns
    out = pd.DataFrame({"id": columns["id"]})
    for label in SPLIT_COLUMNS:
        out[label] = columns[label]
    out["sex"] = columns["sex"]
    out["age"] = np.nan if columns["age"] is None else columns["age"]
    out["issue"] = columns["issue"]
    out.attrs["id_column"] = table.id_column
    return out


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

    def column(name: object) -> np.ndarray:
        text = np.asarray(table[name].to_numpy(), dtype=str)
        if name == found["id"]:  # a missing id is blank, not "nan"
            return np.where(table[name].isna().to_numpy(), "", text)
        return text

    return _results_frame(standardise_text(found, column, len(table), up_to_km))


def columns_to_read(found: Mapping[str, object], up_to_km: float | None = None) -> set[object]:
    """The columns :func:`read_results_csv` reads: id, sex, age and the mats up to ``up_to_km``."""
    wanted = {found[role] for role in ("id", "sex", "age")}
    wanted |= {found[label] for _, label in _mats_read(found, up_to_km)}
    wanted.discard(None)
    return wanted


def read_results_table(path: str | PathLike[str], up_to_km: float | None = None) -> ChipTable:
    """:func:`read_results_csv` as numpy columns (no pandas): what ``risk-splits`` reads."""
    found: dict = {}

    def choose(names: list[str]) -> set[object]:
        found.update(find_columns(names, path))
        return columns_to_read(found, up_to_km)

    table = read_csv_columns(path, choose)
    return standardise_text(found, table.columns.__getitem__, table.n_rows, up_to_km)


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
    return _results_frame(read_results_table(path, up_to_km))


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
    import pandas as pd

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
    import pandas as pd

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
