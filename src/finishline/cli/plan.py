"""``finishline plan``: a race plan for a course, printed briefly or written out."""

from __future__ import annotations

import argparse

from finishline.cli.output import write_json


def cmd_plan(args: argparse.Namespace) -> int:
    from finishline.athlete import Athlete, load_athlete
    from finishline.formatting import parse_duration_s
    from finishline.plan import make_plan

    athlete = load_athlete(args.athlete_config)
    athlete = athlete.merged(
        Athlete.given(sex=args.sex, age=args.age, critical_speed_mps=args.critical_speed)
    )
    plan = make_plan(
        args.file,
        goal_s=None if args.goal is None else parse_duration_s(args.goal),
        season=args.season,
        risk_limit=args.risk_limit,
        athlete=athlete,
        race_distance_m=args.race_distance,
        temperature_c=args.temperature_c,
        dew_point_c=args.dew_point_c,
        strategy=args.strategy,
        unit=args.unit,
    )
    if args.html:
        plan.write_html(args.html)
    if args.csv:
        plan.write_csv(args.csv)
    if args.fit:
        plan.write_fit(args.fit)
    if args.json:
        write_json(plan.to_json(), args.json)
        if args.json == "-":
            return 0  # stdout holds the JSON and nothing else
    print("\n".join(plan.summary_lines()))
    return 0
