"""What the commands write: JSON files (or stdout) and one-line summaries."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def write_json(obj: Any, out: str | None) -> None:
    """Strict JSON (no NaN) to ``out``, or to stdout for ``None`` / ``"-"``."""
    text = json.dumps(obj, indent=2, allow_nan=False, default=str)
    if out in (None, "-"):
        print(text)
    else:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        Path(out).write_text(text + "\n", encoding="utf-8")
