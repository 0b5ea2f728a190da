"""The fitparse FIT engine, turned into :class:`~finishline.io.fit_messages.FitMessages`.

This engine is slow (fitparse builds a Python object per field) and is no longer the
reference: Garmin's FIT SDK is, and the fast engine follows it. fitparse stops where the SDK
reads on (a field whose size is not a multiple of its type, an undescribed developer field),
names fields by an older profile, and replaces a field by its subfield where the SDK keeps
both. It stays as a second engine (``engine="fitparse"``).

Rules that make the table well defined:

- a field name that occurs more than once in one message (a field and a component expanded into
  the same name) takes the first value that is not ``None``;
- ``date_time`` / ``local_date_time`` values become ``datetime64[us, UTC]`` (local times are
  stored "as if UTC", like fitparse does); ``date_time`` values below ``0x10000000``, which
  fitparse leaves as integers because they count seconds since device power-on rather than
  since the FIT epoch, become FIT-epoch-based times too (1989-12-31T00:00:00Z + value), so the
  time line of such a file is kept (see :mod:`finishline.io.fit_messages`); date columns record
  no unit;
- fitparse's module-level registry of developer fields (``fitparse.records.DEV_TYPES``) is
  cleared before each file, so a file's output never depends on the files read before it;
- ``_file`` counts ``file_id`` messages seen before (chained files), starting at 0.

Damaged input: a file that ends early keeps every complete message before the break, with
``stop`` saying where; a CRC mismatch is re-read without the check, with a warning; a broken
first header is a :class:`~finishline.errors.CorruptFileError`.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import fitparse.records
import pandas as pd
from fitparse import FitFile
from fitparse.utils import FitCRCError, FitEOFError, FitHeaderError, FitParseError

from finishline.errors import CorruptFileError
from finishline.io.fit_messages import FitMessages, FitStop

_DATE_TYPES = ("date_time", "local_date_time")

#: The FIT epoch, naive as fitparse's datetimes (which are UTC).
FIT_EPOCH = dt.datetime(1989, 12, 31)


def _parse(data: bytes, check_crc: bool) -> tuple[list[Any], str | None, Exception | None]:
    """Parse messages until the end or the first error; return (messages, problem, exc)."""
    messages: list[Any] = []
    # fitparse registers developer field descriptions in a module-level dict that outlives the
    # file: without this a file could decode with another file's developer fields.
    fitparse.records.DEV_TYPES.clear()
    try:
        # The constructor already reads the file header (and its CRC): keep it inside the try.
        fit = FitFile(io.BytesIO(data), check_crc=check_crc)
        for message in fit.get_messages():
            messages.append(message)
    except FitCRCError as exc:
        return messages, "crc", exc
    except FitEOFError as exc:
        return messages, "eof", exc
    except FitHeaderError as exc:
        return messages, "header", exc
    except (FitParseError, ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
        # fitparse raises assorted errors on corrupt definitions; keep what came before.
        return messages, "corrupt", exc
    return messages, None, None


def _as_datetime(value: Any) -> dt.datetime | None:
    """A FIT date value as a naive UTC datetime: fitparse's datetime, or the FIT epoch plus an
    integer fitparse left unconverted (seconds since device power-on); ``None`` otherwise."""
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return FIT_EPOCH + dt.timedelta(seconds=value)
    return None


def decode(data: bytes, source: str | None = None) -> FitMessages:
    """Decode FIT bytes with fitparse into one DataFrame per message name.

    Raises
    ------
    CorruptFileError
        The file header is broken or no message could be read at all.
    """
    messages, problem, exc = _parse(data, check_crc=True)
    out = FitMessages(engine="fitparse")
    if problem == "crc":
        messages, problem, exc = _parse(data, check_crc=False)
        out.warnings.append("CRC mismatch: the file may be damaged; read without the check")
    if problem is not None and not messages:
        raise CorruptFileError(f"not a readable FIT file ({problem}: {exc})", source)
    if problem is not None:
        out.stop = FitStop(problem, str(exc), len(messages))

    rows: dict[str, list[dict[str, Any]]] = {}
    date_cols: dict[str, set[str]] = {}
    file_index = -1
    for message in messages:
        name = message.name
        if name == "file_id":
            file_index += 1
        row: dict[str, Any] = {"_file": max(file_index, 0)}
        units = out.units.setdefault(name, {})
        for fd in message.fields:
            fname = fd.name if fd.name else f"unknown_{fd.def_num}"
            if row.get(fname) is not None:
                continue
            value = fd.value
            type_name = getattr(getattr(fd, "type", None), "name", None)
            if type_name in _DATE_TYPES:
                date_cols.setdefault(name, set()).add(fname)
                value = _as_datetime(value)
            elif fd.units and fname not in units:
                units[fname] = fd.units
            row[fname] = value
        rows.setdefault(name, []).append(row)

    for name, rlist in rows.items():
        frame = pd.DataFrame.from_records(rlist)
        for col in date_cols.get(name, ()):
            frame[col] = pd.to_datetime(frame[col], utc=True).dt.as_unit("us")
        out.tables[name] = frame
    out.n_files = max(file_index + 1, 1)
    return out
