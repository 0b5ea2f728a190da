"""HTML tables and stat tiles shared by every page: one table helper, sortable or plain.

:func:`html_table` builds every table of the reports (splits, athlete values, predictions,
skipped files, the squad's team table); a cell is plain text (escaped) or a :class:`Cell` with
markup, a sort key and a CSS class. :data:`SORT_SCRIPT` makes ``table.fl-sortable`` headers
sort their rows.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from finishline.athlete import VALUES, Athlete
from finishline.viz.theme import (
    METERS_PER_UNIT,
    Unit,
    format_duration,
    format_pace,
    unit_label,
)


@dataclass(frozen=True)
class Cell:
    """A table cell: ``markup`` (already HTML), the value it sorts by, and a CSS class."""

    markup: str
    sort: Any = ""
    css: str = ""


def finite(value: Any) -> float | None:
    """``value`` as a float, or None when missing or not finite."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if np.isfinite(number) else None


def number_text(value: Any, fmt: str, suffix: str = "") -> str:
    """``value`` formatted with ``fmt`` and ``suffix``, or ``"-"`` when it is not a number."""
    number = finite(value)
    return "-" if number is None else f"{number:{fmt}}{suffix}"


def _cell(value: Any, text_column: bool) -> str:
    if isinstance(value, Cell):
        css = " ".join(c for c in (value.css, "fl-text" if text_column else "") if c)
        cls = f' class="{css}"' if css else ""
        return (
            f"<td{cls} data-sort='{html.escape(str(value.sort), quote=True)}'>{value.markup}</td>"
        )
    text = "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)
    cls = ' class="fl-text"' if text_column else ""
    return f"<td{cls} data-sort='{html.escape(text, quote=True)}'>{html.escape(text)}</td>"


def html_table(
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[tuple[str, str]],
    *,
    ident: str | None = None,
    sortable: bool = False,
    text_columns: Sequence[str] = (),
    narrow: bool = False,
    row_class: str = "_class",
) -> str:
    """An HTML table in a horizontal scroller (wide tables scroll on a phone, the page does not).

    Parameters
    ----------
    rows
        One mapping per row: column key -> plain text (escaped) or :class:`Cell`; the key
        ``row_class`` gives the row a CSS class.
    columns
        ``(key, header)`` pairs in display order.
    ident
        The table's ``id``.
    sortable
        Headers sort the rows (:data:`SORT_SCRIPT`).
    text_columns
        Keys of left-aligned (text) columns; numbers are right-aligned.
    narrow
        The table fits a phone screen as it is (wrapping its text) rather than scrolling.
    """
    text = set(text_columns)
    head = "".join(
        f"<th{' class=fl-text' if key in text else ''}>{html.escape(label)}</th>"
        for key, label in columns
    )
    body = "".join(
        (f'<tr class="{row[row_class]}">' if row.get(row_class) else "<tr>")
        + "".join(_cell(row.get(key), key in text) for key, _ in columns)
        + "</tr>"
        for row in rows
    )
    classes = " ".join(c for c, on in (("fl-sortable", sortable), ("fl-narrow", narrow)) if on)
    attrs = (f' id="{ident}"' if ident else "") + (f' class="{classes}"' if classes else "")
    return (
        f'<div class="fl-scroll"><table{attrs}><thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table></div>"
    )


#: Click a header to sort by it (numbers as numbers, empty cells last); click again to reverse.
SORT_SCRIPT = """
document.querySelectorAll('table.fl-sortable').forEach(function (table) {
  table.querySelectorAll('th').forEach(function (th, col) {
    th.title = 'sort by ' + th.textContent;
    th.addEventListener('click', function () {
      var body = table.tBodies[0], asc = th.dataset.order !== 'asc';
      table.querySelectorAll('th').forEach(function (h) { delete h.dataset.order; });
      th.dataset.order = asc ? 'asc' : 'desc';
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = a.cells[col].dataset.sort, y = b.cells[col].dataset.sort;
        if (x === '' || y === '') { return (x === '') - (y === ''); }
        var nx = Number(x), ny = Number(y);
        var c = (isNaN(nx) || isNaN(ny)) ? x.localeCompare(y) : nx - ny;
        return asc ? c : -c;
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
});
"""


def stat_html(ident: str, label: str, text: str, value: Any) -> str:
    """One headline number: ``text`` under ``label``, the raw ``value`` in ``data-value``."""
    raw = "" if value is None else html.escape(str(value), quote=True)
    return (
        f'<div class="fl-stat"><div class="fl-label">{html.escape(label)}</div>'
        f'<div class="fl-value" id="{ident}" data-value="{raw}">{html.escape(text)}</div></div>'
    )


#: Marks a split holding at least GAP_MARK_MIN_S seconds of recording gap.
GAP_MARK, GAP_MARK_MIN_S = "\u2020", 10.0


def splits_table_html(splits: pd.DataFrame | None, unit: Unit = "km") -> str:
    """The splits as a table (``id="fl-splits"``), one row per split, a partial one marked;
    a power column (W) only when some split has running power."""
    if splits is None or splits.empty:
        return '<p class="fl-note">No splits.</p>'
    u = unit_label(unit)
    scale = METERS_PER_UNIT[unit]
    pace_col = "pace_s_per_km" if unit == "km" else "pace_s_per_mile"
    columns = [
        ("split", u),
        ("distance", f"distance ({u})"),
        ("time", "time"),
        ("pace", f"pace (/{u})"),
        ("gap", f"GAP (/{u})"),
        ("climb", "climb (m)"),
        ("descent", "descent (m)"),
        ("hr", "HR (bpm)"),
        ("cadence", "cadence (spm)"),
    ]
    if "avg_power_w" in splits and splits["avg_power_w"].notna().any():
        columns.append(("power", "power (W)"))
    rows = []
    for rec in splits.to_dict("records"):
        partial = bool(rec.get("partial", False))
        gap = finite(rec.get("gap_pace_s_per_km"))
        rows.append(
            {
                "_class": "fl-partial" if partial else "",
                "split": f"{int(rec['split'])}{'*' if partial else ''}"
                + (GAP_MARK if (finite(rec.get("gap_s")) or 0.0) >= GAP_MARK_MIN_S else ""),
                "distance": number_text(rec.get("distance_m", np.nan) / scale, ".2f"),
                "time": format_duration(finite(rec.get("time_s"))),
                "pace": format_pace(finite(rec.get(pace_col))),
                "gap": format_pace(None if gap is None else gap * scale / 1000.0),
                "climb": number_text(rec.get("elev_gain_m"), ".0f"),
                "descent": number_text(rec.get("elev_loss_m"), ".0f"),
                "hr": number_text(rec.get("avg_hr_bpm"), ".0f"),
                "cadence": number_text(rec.get("avg_cadence_spm"), ".0f"),
                "power": number_text(rec.get("avg_power_w"), ".0f"),
            }
        )
    note = (
        '<p class="fl-note">* partial split</p>' if splits.get("partial", pd.Series()).any() else ""
    )
    gap_s = splits.get("gap_s", pd.Series(0.0, index=splits.index)).fillna(0.0)
    if (gap_s >= GAP_MARK_MIN_S).any():
        note += (
            f'<p class="fl-note">{GAP_MARK} the watch lost the signal in this split '
            f"({format_duration(float(gap_s.sum()))} in all): its distance is bridged across "
            "the gap, so its pace is an estimate</p>"
        )
    return html_table(rows, columns, ident="fl-splits") + note


def athlete_value_text(athlete: Athlete, name: str) -> str:
    """One athlete value with its unit, rounded as a runner reads it ("183 bpm", "5:11 /km")."""
    value = getattr(athlete, name)
    unit = VALUES[name][0]
    if value is None or isinstance(value, str):
        return "-" if value is None else value
    number = float(value)
    if unit == "m/s":
        return f"{number:.2f} m/s ({format_pace(1000.0 / number, 'km')})" if number > 0 else "-"
    if unit == "s":
        return format_duration(number)
    shown = {"1/min": "bpm"}.get(unit, unit)
    return f"{number:.0f} {shown}".rstrip()


def athlete_table_html(athlete: Athlete, ident: str = "fl-athlete") -> str:
    """The athlete values a page used, each marked given / config / estimated / default with
    the rule of an estimate (``<table id=IDENT>``, one row per value the athlete has)."""
    rows = []
    for name, (_, meaning) in VALUES.items():
        source = athlete.source(name)
        if source is None or name == "name":
            continue
        rule = athlete.rule(name)
        how = f"<br><small>{html.escape(rule)}</small>" if rule else ""
        rows.append(
            {
                "value": Cell(f"{html.escape(meaning)}{how}", meaning),
                "shown": athlete_value_text(athlete, name),
                "source": Cell(html.escape(source), source, f"fl-{source}"),
                "_class": f"fl-source-{source}",
            }
        )
    if not rows:
        return '<p class="fl-note">No athlete values were given or estimated.</p>'
    columns = [
        ("value", "athlete value (how it was obtained)"),
        ("shown", "value"),
        ("source", "source"),
    ]
    return html_table(rows, columns, ident=ident, text_columns=("value", "source"), narrow=True)


def athlete_section_html(athlete: Athlete, ident: str = "fl-athlete") -> str:
    """The athlete-values table in its own section with a one-line key to the sources."""
    return (
        '<section class="fl-table"><h2>Athlete values used</h2>'
        '<p class="fl-note">given: from you; config: from the athlete file; estimated: '
        "from the data by the rule shown; default: an assumption. Give the estimated and "
        "default ones (athlete file or options) for numbers that are yours.</p>"
        f"{athlete_table_html(athlete, ident)}</section>"
    )
