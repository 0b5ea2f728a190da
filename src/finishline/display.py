"""Results that show themselves: tables out (DataFrame, CSV, Parquet) and a card in notebooks.

:class:`Tables` gives a result class ``to_frame``, ``to_csv`` and ``to_parquet`` over the
tables it names; :func:`card_html` draws the small HTML summary card a notebook shows for
``_repr_html_`` (plain HTML, no plotly, no scripts).
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from os import PathLike
from pathlib import Path
from typing import ClassVar

import pandas as pd

from finishline.errors import FinishlineError, InputDataError


class Tables:
    """Mixin: export the named tables of a result.

    Subclasses set ``TABLES`` (table name -> attribute path, dotted for nested attributes) and
    ``DEFAULT_TABLE``.
    """

    TABLES: ClassVar[dict[str, str]] = {}
    DEFAULT_TABLE: ClassVar[str] = ""

    def to_frame(self, table: str | None = None) -> pd.DataFrame:
        """One of the result's tables as a DataFrame (a copy; see ``TABLES`` for the names).

        Raises
        ------
        InputDataError
            Unknown table name.
        """
        name = table or self.DEFAULT_TABLE
        if name not in self.TABLES:
            raise InputDataError(f"no table {name!r}; choose from {', '.join(self.TABLES)}")
        value = self
        for part in self.TABLES[name].split("."):
            value = getattr(value, part)
        return pd.DataFrame(value).copy()

    def to_csv(self, path: str | PathLike[str], table: str | None = None) -> Path:
        """Write a table (default ``DEFAULT_TABLE``) as CSV; return the path."""
        out = Path(path)
        out.parent.mkdir(parents=True, exist_ok=True)
        self.to_frame(table).to_csv(out)
        return out

    def to_parquet(self, path: str | PathLike[str], table: str | None = None) -> Path:
        """Write a table as Parquet (needs pyarrow: ``pip install 'finishline[cache]'``)."""
        try:
            import pyarrow  # noqa: F401
        except ImportError as exc:
            raise FinishlineError(
                "Parquet needs pyarrow: pip install 'finishline[cache]'", path
            ) from exc
        out = Path(path)
        out.parent.mkdir(parents=True, exist_ok=True)
        frame = self.to_frame(table)
        frame.columns = [str(c) for c in frame.columns]
        frame.to_parquet(out)
        return out


def card_html(
    title: str,
    facts: Mapping[str, str],
    text: str = "",
    tables: Iterable[tuple[str, pd.DataFrame]] = (),
) -> str:
    """A small self-contained HTML card: a title, a facts table, a paragraph and table heads."""
    rows = "".join(
        f"<tr><th style='text-align:left;padding-right:1em'>{html.escape(k)}</th>"
        f"<td>{html.escape(v)}</td></tr>"
        for k, v in facts.items()
    )
    parts = [
        "<div class='finishline-card' style='font-family:system-ui,sans-serif;max-width:760px'>",
        f"<h4 style='margin:4px 0'>{html.escape(title)}</h4>",
        f"<table>{rows}</table>",
    ]
    if text:
        parts.append(f"<p style='margin:6px 0'>{html.escape(text)}</p>")
    for caption, frame in tables:
        parts.append(f"<p style='margin:6px 0 2px'><b>{html.escape(caption)}</b></p>")
        parts.append(frame.to_html(index=False, float_format=lambda v: f"{v:.4g}", border=0))
    parts.append("</div>")
    return "".join(parts)
