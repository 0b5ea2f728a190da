"""Figures as plain data: build a Plotly figure as dicts, validate it only when asked.

Building a ``go.Figure`` step by step (``update_layout``, ``add_hline`` on subplots,
``make_subplots``) validates and deep-copies the figure at every step: it cost a race report
~0.35 s of CPU for seven figures. A :class:`FigureSpec` holds the same figure as the dicts
Plotly would serialise (``data``: trace dicts, ``layout``: a dict) and offers the few figure
methods the figure families use, with Plotly's semantics (nested updates, ``title_text``
style keys, axis-spanning lines and rectangles with their labels, a stacked subplot grid).

- :meth:`FigureSpec.to_figure` gives the validated ``go.Figure`` the public figure functions
  return (notebooks, tests); its JSON is what the spec holds.
- :meth:`FigureSpec.to_json` writes the page's JSON straight from the dicts, encoded as
  ``plotly.io.to_json`` does (numeric arrays as base64 typed arrays, NaN as ``null``, dates
  as ISO text), or returns ``None`` when the spec holds a value it does not know (a
  duration, an object): the page then goes through :meth:`to_figure`.

:func:`returns_figure` turns a function building a spec into the public one returning a
``go.Figure``, keeping the spec builder as its ``spec`` attribute.
"""

from __future__ import annotations

import base64
import datetime
import functools
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ParamSpec

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    import plotly.graph_objects as go

P = ParamSpec("P")

#: plotly.js typed-array names of the numpy dtypes it reads (``_plotly_utils.utils``).
_TYPED = {
    "int8": "i1",
    "uint8": "u1",
    "int16": "i2",
    "uint16": "u2",
    "int32": "i4",
    "uint32": "u4",
    "float32": "f4",
    "float64": "f8",
}
#: Dict keys whose array values plotly.py leaves as lists.
_UNTYPED_KEYS = frozenset({"geojson", "layer", "layers", "range"})
#: Characters plotly.py escapes in its JSON so that it is safe inside HTML.
_HTML_SAFE = (("<", "\\u003c"), (">", "\\u003e"), ("/", "\\u002f"))

#: Label placement of a horizontal line's annotation: (xanchor, yanchor, x in the domain).
_HLINE_LABEL = {
    "top left": ("left", "bottom", 0),
    "top right": ("right", "bottom", 1),
    "bottom left": ("left", "top", 0),
    "bottom right": ("right", "top", 1),
}


class NotPlain(TypeError):
    """A spec value the page's encoder does not know (a duration, an object): Plotly's
    validators and encoder write it."""


#: Property names with an underscore of their own (not a magic-underscore path).
_UNDERSCORED = frozenset({"error_x", "error_y"})


def expand(props: dict[str, Any]) -> dict[str, Any]:
    """Plotly's "magic underscore" keys as nested dicts: ``title_text`` -> ``title.text``."""
    out: dict[str, Any] = {}
    for key, value in props.items():
        *path, leaf = [key] if key in _UNDERSCORED else key.split("_")
        target = out
        for part in path:
            target = target.setdefault(part, {})
        if isinstance(value, dict) and isinstance(target.get(leaf), dict):
            merge(target[leaf], value)
        else:
            target[leaf] = value
    return out


def merge(target: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """Update ``target`` in place as Plotly's ``update`` does: nested dicts merge, ``None``
    removes a property, and a nested dict of only ``None`` creates nothing."""
    for key, value in patch.items():
        if value is None:
            target.pop(key, None)
        elif isinstance(value, dict):
            sub = target.get(key)
            if not isinstance(sub, dict):
                sub = {}
                merge(sub, value)
                if sub or not value:
                    target[key] = sub
            else:
                merge(sub, value)
        else:
            target[key] = value
    return target


def subplot_domains(rows: int, spacing: float, row_heights: list[float] | None) -> list[list]:
    """The y domains, top row first, of ``make_subplots(rows, 1, vertical_spacing=spacing,
    row_heights=row_heights)`` with the same float arithmetic (equal JSON)."""
    if row_heights is None:
        heights = [(1.0 - spacing * (rows - 1)) / rows] * rows
    else:
        total = float(sum(row_heights))
        heights = [(1.0 - spacing * (rows - 1)) * (h / total) for h in row_heights][::-1]
    domains = []
    for r in range(rows):
        from_bottom = rows - 1 - r
        start = sum(heights[:from_bottom]) + from_bottom * spacing
        end = start + heights[-1 - r]
        domains.append([min(max(start, 0.0), 1.0), min(max(end, 0.0), 1.0)])
    return domains


def _axis(letter: str, row: int) -> str:
    return letter if row == 1 else f"{letter}{row}"


class FigureSpec:
    """A Plotly figure as ``data`` (list of trace dicts) and ``layout`` (dict).

    Parameters
    ----------
    layout
        The starting layout (used as is, not copied).
    rows
        Rows of a stacked subplot grid sharing one x axis, or ``None`` for a single plot.
    """

    def __init__(self, layout: dict[str, Any] | None = None, rows: int | None = None) -> None:
        self.data: list[dict[str, Any]] = []
        self.layout: dict[str, Any] = {} if layout is None else layout
        self.rows = rows

    @classmethod
    def stacked(
        cls, rows: int, spacing: float, row_heights: list[float] | None = None
    ) -> FigureSpec:
        """``rows`` panels on one shared x axis: the layout of ``make_subplots(rows, 1,
        shared_xaxes=True, vertical_spacing=spacing, row_heights=row_heights)``."""
        layout: dict[str, Any] = {}
        for row, domain in enumerate(subplot_domains(rows, spacing, row_heights), start=1):
            xaxis: dict[str, Any] = {"anchor": _axis("y", row), "domain": [0.0, 1.0]}
            if row < rows:
                xaxis |= {"matches": _axis("x", rows), "showticklabels": False}
            layout[_axis("xaxis", row)] = xaxis
            layout[_axis("yaxis", row)] = {"anchor": _axis("x", row), "domain": domain}
        return cls(layout, rows)

    # ------------------------------------------------------------------ traces

    def add_trace(self, trace: Any, row: int | None = None, col: int | None = None) -> FigureSpec:
        """Append a trace (a dict with ``type``, or a plotly trace object) to panel ``row``."""
        if not isinstance(trace, dict):
            trace = trace.to_plotly_json()
        if self.rows is not None and row is not None:
            trace = trace | {"xaxis": _axis("x", row), "yaxis": _axis("y", row)}
        self.data.append(trace)
        return self

    def add_scatter(self, row: int | None = None, col: int | None = None, **props: Any):
        """``go.Figure.add_scatter``: a scatter trace from (magic-underscore) properties."""
        return self.add_trace(expand(props) | {"type": "scatter"}, row=row)

    def add_bar(self, row: int | None = None, col: int | None = None, **props: Any):
        """``go.Figure.add_bar``: a bar trace from (magic-underscore) properties."""
        return self.add_trace(expand(props) | {"type": "bar"}, row=row)

    # ------------------------------------------------------------------ layout

    def update_layout(self, patch: dict[str, Any] | None = None, **props: Any) -> FigureSpec:
        """Nested update of the layout (``None`` removes a property)."""
        merge(self.layout, merge(dict(patch or {}), expand(props)))
        return self

    def _update_axes(self, letter: str, patch: dict | None, row: int | None, props: dict):
        update = merge(dict(patch or {}), expand(props))
        if row is not None and self.rows is not None:
            keys = [_axis(f"{letter}axis", row)]
        else:
            keys = [k for k in self.layout if k.startswith(f"{letter}axis")] or [f"{letter}axis"]
        for key in keys:
            merge(self.layout.setdefault(key, {}), update)
        return self

    def update_xaxes(
        self, patch: dict | None = None, row: int | None = None, col: int | None = None, **props
    ) -> FigureSpec:
        """Update every x axis, or panel ``row``'s."""
        return self._update_axes("x", patch, row, props)

    def update_yaxes(
        self, patch: dict | None = None, row: int | None = None, col: int | None = None, **props
    ) -> FigureSpec:
        """Update every y axis, or panel ``row``'s."""
        return self._update_axes("y", patch, row, props)

    def add_annotation(self, **props: Any) -> FigureSpec:
        """Append an annotation (``showarrow`` as given)."""
        self.layout.setdefault("annotations", []).append(expand(props))
        return self

    def _has_traces(self, row: int | None) -> bool:
        """Plotly leaves a line or rectangle out of a panel with no trace."""
        if row is None or self.rows is None:
            return True
        return any(t.get("yaxis") == _axis("y", row) for t in self.data)

    def _refs(self, row: int | None) -> tuple[str, str]:
        panel = 1 if row is None or self.rows is None else row
        return _axis("x", panel), _axis("y", panel)

    def _labelled_shape(self, shape: dict, row: int | None, label: dict | None) -> FigureSpec:
        if not self._has_traces(row):
            return self
        self.layout.setdefault("shapes", []).append(shape)
        if label is not None:
            self.layout.setdefault("annotations", []).append(label)
        return self

    @staticmethod
    def _label(props: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        """Split ``annotation_*`` keyword arguments from the shape's own."""
        label = {k[11:]: v for k, v in props.items() if k.startswith("annotation_")}
        shape = expand({k: v for k, v in props.items() if not k.startswith("annotation_")})
        return label, shape

    def add_hline(self, y: float, row: int | None = None, col: int | None = None, **props):
        """``go.Figure.add_hline``: a line across the panel at ``y``, labelled at
        ``annotation_position`` ("top right" by default, or top/bottom left/right)."""
        if self.rows and row is None:
            for panel in range(1, self.rows + 1):  # Plotly: no row = every panel
                self.add_hline(y, row=panel, **props)
            return self
        label, shape = self._label(props)
        xref, yref = self._refs(row)
        xref += " domain"
        shape |= {"type": "line", "x0": 0, "x1": 1, "y0": y, "y1": y, "xref": xref, "yref": yref}
        note = None
        if label:
            xanchor, yanchor, x = _HLINE_LABEL[label.pop("position", "top right")]
            note = expand(label) | {"x": x, "xanchor": xanchor, "xref": xref, "y": y}
            note |= {"yanchor": yanchor, "yref": yref, "showarrow": False}
        return self._labelled_shape(shape, row, note)

    def add_vline(self, x: float, row: int | None = None, col: int | None = None, **props):
        """``go.Figure.add_vline`` without a label: a line up the panel at ``x``."""
        if self.rows and row is None:
            for panel in range(1, self.rows + 1):  # Plotly: no row = every panel
                self.add_vline(x, row=panel, **props)
            return self
        label, shape = self._label(props)
        if label:  # no figure labels a vertical line: say so rather than guess Plotly's placing
            raise NotImplementedError("FigureSpec.add_vline takes no annotation_* label")
        xref, yref = self._refs(row)
        yref += " domain"
        shape |= {"type": "line", "x0": x, "x1": x, "y0": 0, "y1": 1, "xref": xref, "yref": yref}
        return self._labelled_shape(shape, row, None)

    def add_vrect(
        self, x0: Any, x1: Any, row: int | None = None, col: int | None = None, **props: Any
    ) -> FigureSpec:
        """``go.Figure.add_vrect``: a band over the panel's height from ``x0`` to ``x1``,
        labelled inside at its "top left" or "top right"."""
        if self.rows and row is None:
            for panel in range(1, self.rows + 1):  # Plotly: no row = every panel
                self.add_vrect(x0, x1, row=panel, **props)
            return self
        label, shape = self._label(props)
        xref, yref = self._refs(row)
        yref += " domain"
        shape |= {"type": "rect", "x0": x0, "x1": x1, "y0": 0, "y1": 1, "xref": xref, "yref": yref}
        note = None
        if label:
            position = label.pop("position", "top right")
            if position not in ("top left", "top right"):
                raise ValueError(f"vrect label position {position!r} is not supported")
            left = position == "top left"
            x = min(x0, x1) if left else max(x0, x1)
            note = expand(label) | {"x": x, "xanchor": "left" if left else "right", "xref": xref}
            note |= {"y": 1, "yanchor": "top", "yref": yref, "showarrow": False}
        return self._labelled_shape(shape, row, note)

    # ------------------------------------------------------------------ output

    def to_dict(self) -> dict[str, Any]:
        """``{"data": ..., "layout": ...}`` (the spec's own objects, not copies)."""
        return {"data": self.data, "layout": self.layout}

    def to_figure(self) -> go.Figure:
        """The validated ``go.Figure`` (Plotly copies what it takes)."""
        import plotly.graph_objects as go

        return go.Figure(self.to_dict())

    def to_json(self, layout: dict[str, Any] | None = None) -> str | None:
        """The figure's JSON as ``plotly.io.to_json`` writes it (``layout`` replaces the
        spec's), or ``None`` when a value needs Plotly's validators and encoder."""
        try:
            return encode({"data": self.data, "layout": self.layout if layout is None else layout})
        except NotPlain:
            return None


def returns_figure(build: Callable[P, FigureSpec]) -> Callable[P, go.Figure]:
    """The public figure function of a spec builder: same signature and docstring, returns
    ``build(...).to_figure()``; the builder stays reachable as ``.spec``."""

    @functools.wraps(build)
    def figure(*args: P.args, **kwargs: P.kwargs) -> go.Figure:
        return build(*args, **kwargs).to_figure()

    figure.__annotations__ = {**build.__annotations__, "return": "go.Figure"}
    figure.spec = build  # type: ignore[attr-defined]
    return figure


def _typed_array(values: np.ndarray) -> Any:
    """plotly.py's typed-array spec of a numeric array (``to_typed_array_spec``): int64
    narrowed to the smallest integer type that holds it; other dtypes as lists."""
    if values.size == 0:
        return values.tolist()
    values = np.ascontiguousarray(values)
    if str(values.dtype) in ("int64", "uint64"):
        lo, hi = values.min(), values.max()
        signed = values.dtype.kind == "i"
        for kind in ("int8", "int16", "int32") if signed else ("uint8", "uint16", "uint32"):
            info = np.iinfo(kind)
            if info.min <= lo and hi <= info.max:
                values = values.astype(kind)
                break
        else:
            return _listed(values)
    name = str(values.dtype)
    if name not in _TYPED:
        return _listed(values)
    out = {"dtype": _TYPED[name], "bdata": base64.b64encode(values).decode("ascii")}
    if values.ndim > 1:
        out["shape"] = str(values.shape)[1:-1]
    return out


def _listed(values: np.ndarray) -> list:
    if values.dtype.kind == "M":  # as plotly.py: numpy's ISO text at the array's precision
        return np.datetime_as_string(values).tolist()
    if values.dtype.kind in "mV":
        raise NotPlain("durations or records")
    items = values.tolist()
    if values.dtype.kind == "O" and all(type(v) is str for v in items):
        return items  # hover labels: the common case, no need to look at each
    return [_plain(v, None) for v in items]


def _plain(value: Any, key: str | None) -> Any:
    if isinstance(value, str) or value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return value if np.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _plain(v, k) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_listed(v) if isinstance(v, np.ndarray) else _plain(v, None) for v in value]
    if isinstance(value, np.ndarray):
        if key in _UNTYPED_KEYS:
            return _listed(np.asarray(value))
        return _typed_array(value)
    if isinstance(value, np.bool_ | np.integer | np.floating):
        return _plain(value.item(), key)
    if value is pd.NaT:
        return None
    if isinstance(value, datetime.date | datetime.time):  # pd.Timestamp too
        return value.isoformat()
    if isinstance(value, pd.Series):  # as Plotly's validators take them (via narwhals)
        if isinstance(value.dtype, pd.DatetimeTZDtype):
            value = value.dt.tz_localize(None)
        return _plain(value.to_numpy(), key)
    if isinstance(value, pd.Index):  # a zoned DatetimeIndex becomes Timestamps
        return _plain(np.array(value), key)
    raise NotPlain(type(value).__name__)


def encode(figure: dict[str, Any]) -> str:
    """JSON text of a figure dict of plain values as ``plotly.io.to_json(fig, validate=False)``
    writes it: compact separators, NaN/inf as ``null``, ``<``, ``>``, ``/`` escaped.

    Raises
    ------
    NotPlain
        For a value other than str, numbers, None, dates and times, dicts, lists, numpy
        arrays and pandas Series and Index.
    """
    text = json.dumps(_plain(figure, None), separators=(",", ":"))
    for unsafe, safe in _HTML_SAFE:
        text = text.replace(unsafe, safe)
    return text
