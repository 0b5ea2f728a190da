"""The race plan page: the course profile with target pace, the plan's risk, a printable pace band.

One self-contained HTML page (the shell of :mod:`finishline.viz.page`) of a
:class:`~finishline.plan.RacePlan`. Stable hooks (besides the shell's):

- ``#fl-plan-goal``, ``#fl-plan-finish``, ``#fl-plan-risk`` (``data-value``: seconds, seconds,
  probability), ``#fl-plan-risk-band`` (``data-lo``/``data-hi``);
- the risk's parts ``<table id="fl-plan-risk-parts">``; the pace band
  ``<table id="fl-pace-band">`` in ``<section id="fl-pace-band-section">``, one row per split;
- the conditions ``<section id="fl-conditions">``.

Printing the page prints the heading, the key numbers and the pace band only (figures and the
explanations are left out), sized to fit one A4 or US-letter page for a marathon in km.
"""

from __future__ import annotations

import html
from typing import Any

import numpy as np

from finishline.plan.result import RacePlan
from finishline.plan.targets import NEGATIVE_SPLIT_GAP_GAIN, UNIT_LABEL
from finishline.viz.page import figure_section, page_html, warnings_banner
from finishline.viz.spec import FigureSpec, returns_figure
from finishline.viz.tables import html_table, stat_html
from finishline.viz.theme import (
    COLORS,
    FEET_PER_METRE,
    METERS_PER_UNIT,
    format_duration,
    format_pace,
    pace_axis,
)
from finishline.viz.traces import (
    distance_axis,
    elevation_panel,
    line,
    pace_line,
    stacked_panels,
)

#: Extra CSS of the plan page: the pace band's print layout (one A4 / letter page).
PLAN_CSS = """
.fl-band td, .fl-band th { padding: 3px 8px; white-space: nowrap; }
@media (max-width: 600px) {
  .fl-band td, .fl-band th { padding: 3px 5px; }
  .fl-band td:nth-child(6), .fl-band th:nth-child(6) { display: none; }
}
@media print {
  @page { size: auto; margin: 10mm; }
  body { background: #fff; }
  main { max-width: none; padding: 0; }
  .fl-figure, .fl-noprint, .fl-warnings, .fl-athlete, nav { display: none !important; }
  .fl-card, .fl-table { border: none; padding: 0; margin: 0 0 4px; }
  h1 { font-size: 14pt; margin: 0; }
  .fl-sub { margin: 0 0 4px; font-size: 9pt; }
  .fl-value { font-size: 11pt; }
  .fl-label { font-size: 7pt; }
  .fl-stats { gap: 2px 16px; }
  .fl-scroll { overflow: visible; }
  .fl-scroll table { min-width: 0; }
  table.fl-band { font-size: 8.5pt; }
  #fl-plan-risk-band { font-size: 9pt; margin: 2px 0; }
  table.fl-band th { position: static; }
  table.fl-band td, table.fl-band th { padding: 0 6px; line-height: 1.25; }
}
"""

#: What each strategy does, under the figure's title.
STRATEGY_WORDS = {
    "even-effort": "even effort: climbs slower, descents faster, the same grade-adjusted pace",
    "even-pace": "even pace: the same clock pace whatever the hills",
    "negative-split": "negative split: even effort in each half, the second half "
    f"{100 * NEGATIVE_SPLIT_GAP_GAIN:.0f} % faster (grade-adjusted)",
}

#: The runner's ability in words, by where it came from.
ABILITY_WORDS = {
    "season": "the season's predicted time",
    "critical speed": "the time predicted from critical speed",
    "goal": "the goal",
}

#: Names of the risk's parts, and whether each is calibrated or assumed.
RISK_PARTS: tuple[tuple[str, str, str], ...] = (
    ("ambition", "goal against predicted time (over-ambition)", "assumed"),
    ("long_runs", "long runs in the last 10 weeks", "assumed"),
    ("volume", "weekly volume", "assumed"),
    ("durability", "durability (heart-rate drift on long runs)", "assumed"),
    ("heat", "heat", "assumed"),
    ("shape", "the plan's shape (start against even pacing)", "model, read as a difference"),
)


@returns_figure
def plan_figure(plan: RacePlan) -> FigureSpec:
    """Target pace per split (with its range) over the elevation profile of the course."""
    unit = plan.unit
    short = UNIT_LABEL[unit]
    scale = METERS_PER_UNIT[unit]
    targets = plan.targets
    title = f"Target pace per {short} over the course"
    fig = stacked_panels(title, 2, 460, row_heights=[0.62, 0.38])
    fig.update_layout(title={"subtitle": {"text": STRATEGY_WORDS[plan.strategy]}})
    # steps: each split's pace held from its start to its end
    x = np.c_[targets["start_m"], targets["end_m"]].ravel() / scale
    pace = np.repeat(targets[f"target_pace_s_per_{short}"].to_numpy(dtype=float), 2)
    slow = np.repeat(targets[f"pace_slow_s_per_{short}"].to_numpy(dtype=float), 2)
    fast = np.repeat(targets[f"pace_fast_s_per_{short}"].to_numpy(dtype=float), 2)
    gap = np.repeat(targets[f"gap_pace_s_per_{short}"].to_numpy(dtype=float), 2)
    fig.add_trace(
        line(x, slow, "range", COLORS["pace"], "", width=0, hoverinfo="skip", showlegend=False),
        row=1,
        col=1,
    )
    fig.add_trace(
        line(
            x,
            fast,
            "target range",
            COLORS["pace"],
            "",
            width=0,
            fill="tonexty",
            fillcolor="rgba(0,114,178,0.15)",
            hoverinfo="skip",
        ),
        row=1,
        col=1,
    )
    fig.add_trace(pace_line(x, gap, "grade-adjusted", COLORS["gap"], unit, width=1.2), 1, 1)
    fig.add_trace(pace_line(x, pace, "target pace", COLORS["pace"], unit, width=2), 1, 1)
    lo = float(np.nanmin(np.r_[fast, gap]))
    hi = float(np.nanmax(np.r_[slow, gap]))
    fig.update_yaxes(pace_axis(lo, hi, unit), row=1, col=1)

    course = plan.course
    step = max(1, len(course) // 600)
    distance = course["distance_m"].to_numpy(dtype=float)[::step] / scale
    altitude = course["altitude_m"].to_numpy(dtype=float)[::step]
    if np.isfinite(altitude).any():
        elevation_panel(fig, distance, altitude, unit)
    distance_axis(fig, unit, 0.0, float(targets["end_m"].iloc[-1] / scale), rows=2)
    return fig


def _headline(plan: RacePlan) -> str:
    r = plan.risk
    band = f"{r.p_lo:.0%} to {r.p_hi:.0%}"
    stats = "".join(
        [
            stat_html(
                "fl-plan-goal",
                f"goal ({plan.goal_source})",
                format_duration(plan.goal_s),
                plan.goal_s,
            ),
            stat_html(
                "fl-plan-finish",
                "planned finish",
                format_duration(plan.planned_finish_s),
                plan.planned_finish_s,
            ),
            stat_html("fl-plan-strategy", "strategy", plan.strategy, plan.strategy),
            stat_html("fl-plan-risk", "final-mile risk", f"{r.p_fail:.0%}", r.p_fail),
        ]
    )
    band_html = (
        f'<p id="fl-plan-risk-band" data-lo="{r.p_lo:.6f}" data-hi="{r.p_hi:.6f}">'
        f"Chance of a final-mile failure running this plan (the last mile at least 25 % "
        f"slower than your {plan.race.reference_label} pace, or a minute or more walking or "
        f"standing in it): <b>{r.p_fail:.0%}</b>, plausibly {band}.</p>"
    )
    return f'<section class="fl-card"><div class="fl-stats">{stats}</div>{band_html}</section>'


def _risk_section(plan: RacePlan) -> str:
    r = plan.risk
    rows: list[dict[str, Any]] = [
        {
            "part": f"base at {ABILITY_WORDS.get(r.ability_source, r.ability_source)} "
            f"({format_duration(r.ability_s)})",
            "shift": f"{100 * r.p_base:.0f} % ({100 * r.p_base_lo:.0f}-{100 * r.p_base_hi:.0f} %)",
            "kind": r.calibration,
        }
    ]
    for key, label, kind in RISK_PARTS:
        value = r.shifts.get(key)
        if value is None or (key == "ambition" and r.over_ambition is None):
            continue
        rows.append({"part": label, "shift": f"{value:+.2f} logit", "kind": kind})
    table = html_table(
        rows,
        [("part", "part"), ("shift", "risk or shift"), ("kind", "calibrated or assumed")],
        ident="fl-plan-risk-parts",
        text_columns=("part", "kind"),
        narrow=True,
    )
    ambition = (
        f"Your predicted time ({r.ability_source}) is {format_duration(r.ability_s)}; the goal "
        f"is {format_duration(plan.goal_s)} (predicted / goal = {r.over_ambition:.3f})."
        if r.over_ambition is not None
        else "No predicted time was given, so the goal is taken as your ability: a goal "
        "faster than you can hold makes the risk higher than shown."
    )
    text = " ".join(
        [
            ambition,
            f"{'Calibrated' if plan.race.is_marathon else 'Transferred'}: "
            f"{r.calibrated.removeprefix('p_base: ')}.",
            f"Assumed: {r.assumed}.",
            f"Shifts add {r.logit_shift:+.2f} to the log-odds of the base.",
        ]
    )
    limit = (
        f"<p>The goal is the fastest whose risk stays at or under {plan.risk_limit:.0%}.</p>"
        if plan.risk_limit is not None
        else ""
    )
    return (
        '<section class="fl-table fl-noprint" id="fl-plan-risk-section">'
        f"<h2>Risk of the plan</h2>{limit}{table}"
        f'<p class="fl-note">{html.escape(text)}</p></section>'
    )


def _conditions_section(plan: RacePlan) -> str:
    c = plan.conditions
    if c.temperature_c is None:
        facts = "<p>" + html.escape(c.assumption[:1].upper() + c.assumption[1:]) + ".</p>"
    else:
        slower = plan.planned_finish_s - plan.goal_s
        facts = (
            f"<p>WBGT {c.wbgt_c:.1f} degC: the plan is {100 * c.slowdown_fraction:.1f} % slower "
            f"than the goal ({format_duration(slower)} more, give or take "
            f"{100 * c.slowdown_band_fraction:.1f} %), and the risk shifts by "
            f"{c.risk_logit_shift:+.2f} logit.</p><p class='fl-note'>Assumed: "
            f"{html.escape(c.assumption)}.</p>"
        )
    return f'<section class="fl-table fl-noprint" id="fl-conditions"><h2>Conditions</h2>{facts}</section>'


def _pace_band(plan: RacePlan) -> str:
    unit = plan.unit
    short = UNIT_LABEL[unit]
    scale = METERS_PER_UNIT[unit]
    elev = ("m", 1.0) if unit == "km" else ("ft", FEET_PER_METRE)
    rows = []
    for row in plan.targets.to_dict(orient="records"):
        partial = row["distance_m"] < 0.999 * scale
        rows.append(
            {
                "split": row["label"] + (f" ({row['distance_m'] / scale:.2f})" if partial else ""),
                "pace": format_pace(row[f"target_pace_s_per_{short}"]),
                "range": f"{format_pace(row[f'pace_fast_s_per_{short}'])}-"
                f"{format_pace(row[f'pace_slow_s_per_{short}'])}",
                "time": format_duration(row["target_time_s"]),
                "clock": format_duration(row["cumulative_time_s"]),
                "terrain": f"+{row['elevation_gain_m'] * elev[1]:.0f} "
                f"-{row['elevation_loss_m'] * elev[1]:.0f} {elev[0]}",
                "_class": "fl-partial" if partial else "",
            }
        )
    columns = [
        ("split", short),
        ("pace", f"pace /{short}"),
        ("range", "range"),
        ("time", "split"),
        ("clock", "clock"),
        ("terrain", "up/down"),
    ]
    table = html_table(rows, columns, ident="fl-pace-band", text_columns=("split",), narrow=True)
    table = table.replace(
        '<table id="fl-pace-band" class="fl-narrow">',
        '<table id="fl-pace-band" class="fl-narrow fl-band">',
    )
    return (
        '<section class="fl-table" id="fl-pace-band-section"><h2>Pace band</h2>'
        f'<p class="fl-note fl-noprint">Print this page for the band alone. Clock = the time '
        f"on your watch at the end of each {short}.</p>{table}</section>"
    )


def plan_report_html(plan: RacePlan) -> str:
    """The whole plan page as one self-contained HTML string (plotly.js inline, no network)."""
    name = plan.source_path.rsplit("/", 1)[-1] if plan.source_path else "course"
    race = plan.race
    subtitle = " | ".join(
        [
            f"{race.label} ({race.distance_m / 1000:.3f} km)",
            f"course {name}",
            f"{plan.strategy}",
            f"units: {UNIT_LABEL[plan.unit]}",
        ]
    )
    body = [
        f"<style>{PLAN_CSS}</style>",
        warnings_banner(plan.warnings),
        _headline(plan),
        figure_section("plan", plan_figure.spec(plan)),
        _pace_band(plan),
        _risk_section(plan),
        _conditions_section(plan),
    ]
    return page_html(f"Race plan: {plan.title}", body, subtitle=subtitle)
