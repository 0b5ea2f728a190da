"""What the commands write: JSON files (or stdout) and one-line summaries."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def write_json(obj: Any, out: str | None) -> None:
    """Strict JSON (no NaN) to ``out``, or to stdout for ``None`` / ``"-"``.

    Stdout is indented for reading; a file is compact (a season's JSON is written in less than
    half the time and is a quarter smaller; any JSON tool shows it indented).
    """
    if out in (None, "-"):
        print(json.dumps(obj, indent=2, allow_nan=False, default=str))
    else:
        text = json.dumps(obj, separators=(",", ":"), allow_nan=False, default=str)
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        Path(out).write_text(text + "\n", encoding="utf-8")
