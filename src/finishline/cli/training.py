"""``finishline train``: a season, or a squad of seasons, printed briefly or written out."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from finishline.cli.output import write_json
from finishline.formatting import format_hms


def cmd_train(args: argparse.Namespace) -> int:
    from finishline.athlete import load_athlete
    from finishline.training.batch import read_many
    from finishline.training.season import analyze_season

    athlete = load_athlete(args.athlete_config)
    if args.squad:
        return _train_squad(args, athlete)
    batch = read_many(
        args.dir, cache_dir=args.cache, scheduler=args.scheduler, progress=sys.stderr.isatty()
    )
    season = analyze_season(batch, athlete)
    if args.html:
        season.write_html(args.html)
    if args.json:
        write_json(season.to_json(), args.json)
        if args.json == "-":
            return 0  # stdout holds the JSON and nothing else
    print(season_lines(season))
    return 0


def season_lines(season: Any) -> str:
    """A short human summary of a season (what ``train`` prints without ``--json -``): the
    season's own facts (:meth:`SeasonAnalysis._facts`, as its repr and card show them) and the
    goal's final-mile risk."""
    lines = [f"{label:<16}{text}" for label, text in season._facts().items()]
    risk = season.readiness.pre_race_risk
    if risk:
        lines.append(
            f"goal {format_hms(risk['goal_time_s'])}: final-mile risk {risk['p_fail']:.0%} "
            f"({risk['p_lo']:.0%} to {risk['p_hi']:.0%})"
        )
    return "\n".join(lines)


def _train_squad(args: argparse.Namespace, defaults: Any) -> int:
    from finishline.training.squad import analyze_squad, read_squad

    squad = read_squad(
        args.dir,
        defaults=defaults,
        cache_dir=args.cache,
        scheduler=args.scheduler,
        progress=sys.stderr.isatty(),
    )
    result = analyze_squad(squad)
    if args.html:
        result.write_html(args.html)
    if args.json:
        write_json(result.to_json(), args.json)
        if args.json == "-":
            return 0
    n_runs = sum(len(s.activities) for s in result.seasons.values())
    print(
        f"squad of {len(result.athletes)}: {n_runs} runs analysed, "
        f"{len(result.skipped)} of {result.n_files} files skipped",
    )
    for row in result.table.itertuples(index=False):
        figures = (
            f"CTL {row.ctl:.0f}, TSB {row.tsb:+.0f}, marathon "
            + (format_hms(row.predicted_marathon_s) if row.predicted_marathon_s > 0 else "-")
            if row.runs
            else "no season"
        )
        flags = f"; {'; '.join(row.flags)}" if row.flags else ""
        print(f"  {row.name}: {row.runs} runs, {figures}{flags}")
    return 0
