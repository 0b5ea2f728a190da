"""The power-duration figure: a run's (or a season's) mean-maximal running power, and the
critical-power model over it when there is a fit.

Drawn from what the analyses hold (``RaceAnalysis.power_curve``, ``SeasonAnalysis.
power_envelope`` and ``critical_power``), not recomputed.

References
----------
Monod H. & Scherrer J. (1965) *Ergonomics* 8:329; Jones A. M. et al. (2010) *Med Sci Sports
Exerc* 42:1876 (P = CP + W'/t over 2-15 min efforts).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from finishline.training.critical_power import CP_DURATIONS_S, CriticalPowerFit
from finishline.viz.spec import FigureSpec, returns_figure
from finishline.viz.theme import OKABE_ITO
from finishline.viz.traces import has_data, line, new_figure, unavailable_figure

#: Log-axis ticks (s) and their labels, at least ~0.8 decade apart so that a phone's narrow
#: figure does not overlap them.
DURATION_TICKS: tuple[tuple[float, str], ...] = (
    (1, "1 s"),
    (10, "10 s"),
    (60, "1 min"),
    (600, "10 min"),
    (3600, "1 h"),
    (14400, "4 h"),
)


def duration_text(seconds: np.ndarray) -> list[str]:
    """Durations as a runner reads them: ``45 s``, ``2:30 min``, ``1:05 h``."""
    out = []
    for s in np.asarray(seconds, dtype=float):
        whole = int(round(s))
        if whole < 60:
            out.append(f"{whole} s")
        elif whole < 3600:
            out.append(f"{whole // 60}:{whole % 60:02d} min")
        else:
            out.append(f"{whole // 3600}:{whole % 3600 // 60:02d} h")
    return out


@returns_figure
def power_curve_figure(
    curve: pd.DataFrame | None,
    *,
    critical_power: CriticalPowerFit | None = None,
    title: str = "Power-duration curve",
    source: str | None = None,
) -> FigureSpec:
    """Best mean power (W) against duration on a log axis; the CP model when it is valid.

    Parameters
    ----------
    curve
        ``duration_s``, ``power_w`` (a run's power curve or a season's envelope).
    critical_power
        A fit to draw as ``P = CP + W'/t`` over its 2-15 min durations, and CP as a line;
        ignored when not valid.
    title
        Figure title.
    source
        Where the power comes from (``activity.meta.power_source``), shown in the subtitle.

    Returns
    -------
    plotly.graph_objects.Figure
        A figure saying "not available" when there is no power.
    """
    if curve is None or not has_data(curve, "power_w"):
        return unavailable_figure(title, "the file has no running power")
    duration = curve["duration_s"].to_numpy(dtype=float)
    power = curve["power_w"].to_numpy(dtype=float)
    subtitle = f" ({source})" if source else ""
    fig = new_figure(f"{title}{subtitle}", height=380)
    fig.add_trace(
        line(
            duration,
            power,
            "best mean power",
            OKABE_ITO["blue"],
            "%{y:.0f} W over %{customdata}",
            mode="lines+markers",
            customdata=duration_text(duration),
            marker={"size": 5},
        )
    )
    if critical_power is not None and critical_power.valid:
        cp, w_prime = critical_power.critical_power_w, critical_power.w_prime_j
        t = np.geomspace(min(CP_DURATIONS_S), max(CP_DURATIONS_S), 30)
        fig.add_trace(
            line(
                t,
                cp + w_prime / t,
                f"CP {cp:.0f} W + W' {w_prime / 1000:.1f} kJ / t",
                OKABE_ITO["vermillion"],
                "%{y:.0f} W over %{customdata}",
                dash="dash",
                customdata=duration_text(t),
            )
        )
        fig.add_hline(
            y=cp,
            line={"color": OKABE_ITO["vermillion"], "width": 1, "dash": "dot"},
            annotation_text=f"CP {cp:.0f} W",
            annotation_position="bottom left",
        )
    ticks = [(v, text) for v, text in DURATION_TICKS if duration.min() <= v <= duration.max() * 1.5]
    fig.update_xaxes(
        type="log",
        title={"text": "duration"},
        tickvals=[v for v, _ in ticks],
        ticktext=[text for _, text in ticks],
    )
    fig.update_yaxes(title={"text": "power (W)"})
    return fig
