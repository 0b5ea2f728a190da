"""One Plotly template, a colour-blind-safe palette and the unit helpers every figure shares.

The palette is Okabe & Ito's eight colours, distinguishable under the common forms of colour
blindness; continuous scales are built from its blue and vermillion through a light grey so
that "faster" and "slower" stay apart without relying on red against green.

References
----------
Okabe M., Ito K. (2008). *Color Universal Design (CUD): how to make figures and presentations
that are friendly to colorblind people.* https://jfly.uni-koeln.de/color/
"""

from __future__ import annotations

from functools import cache
from typing import Literal

import numpy as np

from finishline.definitions import METRE_PER_MILE
from finishline.formatting import format_duration

Unit = Literal["km", "mile"]

METERS_PER_UNIT: dict[str, float] = {"km": 1000.0, "mile": METRE_PER_MILE}
#: Elevation in feet when distances are in miles (1 ft = 0.3048 m exactly).
FEET_PER_METRE = 1.0 / 0.3048

#: Okabe-Ito palette, by name.
OKABE_ITO: dict[str, str] = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}

#: What each quantity is drawn in, the same in every figure.
COLORS: dict[str, str] = {
    "pace": OKABE_ITO["blue"],
    "gap": OKABE_ITO["orange"],
    "elevation": "#8C8C8C",
    "heart_rate": OKABE_ITO["vermillion"],
    "cadence": OKABE_ITO["bluish_green"],
    "efficiency": OKABE_ITO["reddish_purple"],
    "reference": OKABE_ITO["black"],
    "risk": OKABE_ITO["vermillion"],
    "fatigue": OKABE_ITO["black"],
    "marker": OKABE_ITO["reddish_purple"],
}

#: Cycle for an unknown number of series (components); yellow is left out: unreadable on white.
SERIES_COLORS: tuple[str, ...] = (
    OKABE_ITO["blue"],
    OKABE_ITO["orange"],
    OKABE_ITO["bluish_green"],
    OKABE_ITO["reddish_purple"],
    OKABE_ITO["sky_blue"],
    OKABE_ITO["vermillion"],
    OKABE_ITO["black"],
)

#: Faster than reference (blue) -> on reference (grey) -> slower (vermillion).
PACE_RATIO_SCALE: list[list[float | str]] = [
    [0.0, OKABE_ITO["blue"]],
    [0.5, "#D9D9D9"],
    [1.0, OKABE_ITO["vermillion"]],
]

#: Sequential scale for the route coloured by pace (fast = dark blue, slow = orange).
ROUTE_PACE_SCALE: list[list[float | str]] = [
    [0.0, "#08306B"],
    [0.35, OKABE_ITO["blue"]],
    [0.65, OKABE_ITO["sky_blue"]],
    [1.0, OKABE_ITO["orange"]],
]

#: The name of the template in ``plotly.io.templates`` (``TEMPLATE_NAME`` registers it).
_TEMPLATE_NAME = "finishline"

FONT_FAMILY = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"


_AXIS: dict = {
    "showgrid": True,
    "gridcolor": "#EBEBEB",
    "zeroline": False,
    "linecolor": "#999999",
    "ticks": "outside",
    "automargin": True,
}


#: The finishline template as plotly.py writes it in a figure's JSON (``layout.template``).
#: A plain dict: building a ``go.layout.Template`` loads Plotly's layout validators (~0.1 s),
#: which a report page never needs.
TEMPLATE: dict = {
    "layout": {
        "font": {"family": FONT_FAMILY, "size": 13, "color": "#222222"},
        "title": {"font": {"size": 16}, "x": 0.0, "xanchor": "left", "xref": "paper"},
        "colorway": list(SERIES_COLORS),
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "hovermode": "x unified",
        "hoverlabel": {"font": {"family": FONT_FAMILY, "size": 12}},
        # small fixed margins; automargin on every axis grows them to fit tick labels and
        # titles, so a title never sits on its tick labels at any width
        "margin": {"l": 10, "r": 10, "t": 60, "b": 10},
        "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.02, "xanchor": "left", "x": 0.0},
        "xaxis": _AXIS | {"title": {"standoff": 8}},
        "yaxis": _AXIS | {"title": {"standoff": 10}},
    }
}


@cache
def register_template() -> str:
    """Register :data:`TEMPLATE` with ``plotly.io.templates`` (once) and return its name."""
    import plotly.io as pio

    pio.templates[_TEMPLATE_NAME] = TEMPLATE
    return _TEMPLATE_NAME


def __getattr__(name: str) -> str:
    # ``TEMPLATE_NAME`` registers the template on first use: a notebook writing
    # ``template=TEMPLATE_NAME`` gets it, and importing the report costs nothing
    if name == "TEMPLATE_NAME":
        return register_template()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def check_unit(unit: str) -> Unit:
    """Return ``unit`` if it is ``"km"`` or ``"mile"``; raise ``ValueError`` otherwise."""
    if unit not in METERS_PER_UNIT:
        raise ValueError(f"unit must be 'km' or 'mile', not {unit!r}")
    return unit  # type: ignore[return-value]


def unit_label(unit: Unit) -> str:
    """Short distance label: ``"km"`` or ``"mi"``."""
    return "km" if unit == "km" else "mi"


def format_pace(seconds: float | None, unit: Unit | None = None) -> str:
    """Pace in ``m:ss`` (``h:mm:ss`` above an hour), with ``/km`` or ``/mi`` when ``unit`` is given.

    ``None`` or a non-finite value gives ``"-"``.
    """
    text = format_duration(seconds)
    return f"{text} /{unit_label(unit)}" if unit and text != "-" else text


def pace_strings(seconds: np.ndarray) -> np.ndarray:
    """Vectorised :func:`format_pace` without unit (object array of ``m:ss`` strings)."""
    values = np.asarray(seconds, dtype="float64")
    out = np.full(values.shape, "-", dtype=object)
    ok = np.isfinite(values)
    if not ok.any():  # np.char.zfill reduces over its input: an empty one has no maximum
        return out
    s = np.round(values[ok]).astype(np.int64)
    minutes = (s // 60).astype(str)
    secs = np.char.zfill((s % 60).astype(str), 2)
    out[ok] = np.char.add(np.char.add(minutes, ":"), secs)
    return out


def pace_ticks(lo_s: float, hi_s: float, max_ticks: int = 7) -> tuple[list[float], list[str]]:
    """Tick positions (s) and ``m:ss`` labels covering a pace range, on round steps.

    Steps are 5, 10, 15, 20, 30 s or whole minutes, the smallest giving at most ``max_ticks``.
    """
    if not (np.isfinite(lo_s) and np.isfinite(hi_s)) or hi_s <= lo_s:
        return [], []
    span = hi_s - lo_s
    for step in (5, 10, 15, 20, 30, 60, 120, 300, 600):
        if span / step <= max_ticks:
            break
    first = np.ceil(lo_s / step) * step
    values = np.arange(first, hi_s + 1e-9, step)
    return [float(v) for v in values], [str(t) for t in pace_strings(values)]


def pace_axis(lo_s: float, hi_s: float, unit: Unit, title: bool = True) -> dict:
    """Layout dict for a pace axis: ``m:ss`` ticks, reversed so that faster is up."""
    pad = max(5.0, 0.05 * (hi_s - lo_s))
    lo, hi = lo_s - pad, hi_s + pad
    tickvals, ticktext = pace_ticks(lo, hi)
    axis: dict = {"range": [hi, lo], "tickvals": tickvals, "ticktext": ticktext}
    if title:
        axis["title"] = {"text": f"pace (min/{unit_label(unit)})"}
    return axis


def duration_ticks(lo_s: float, hi_s: float, max_ticks: int = 6) -> tuple[list[float], list[str]]:
    """Tick positions (s) and ``h:mm`` labels on round 5-60 min steps over a range of seconds."""
    if not (np.isfinite(lo_s) and np.isfinite(hi_s)) or hi_s <= lo_s:
        return [], []
    span = hi_s - lo_s
    step = next(
        (m * 60 for m in (5, 10, 15, 20, 30, 60, 120) if span / (m * 60) <= max_ticks), 14400
    )
    values = np.arange(np.ceil(lo_s / step) * step, hi_s + 1e-9, step)
    return [float(v) for v in values], [
        f"{int(v) // 3600}:{int(v) % 3600 // 60:02d}" for v in values
    ]


def duration_axis(lo_s: float, hi_s: float, title: str, pad_s: float = 300.0) -> dict:
    """Layout dict for an axis of durations in seconds: ``h:mm`` ticks over the padded range."""
    lo, hi = lo_s - pad_s, hi_s + pad_s
    tickvals, ticktext = duration_ticks(lo, hi)
    return {
        "range": [lo, hi],
        "tickvals": tickvals,
        "ticktext": ticktext,
        "title": {"text": title},
    }
