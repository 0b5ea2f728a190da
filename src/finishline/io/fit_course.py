"""A FIT course file (a planned route) as a course :class:`~finishline.activity.Activity`.

A course file (``file_id.type = course``) holds a ``course`` message (name, sport) and
``record`` messages along the route: positions, altitude, distance, and usually times a
virtual partner would keep (when the route was planned at a pace, or recorded). It is the
course a runner races on, so it reads like a GPX route:

- ``meta.is_course = True`` (``activity.kind == "course"``), samples in file order on an
  all-``NaT`` index: a course has no real times;
- ``lat_deg``, ``lon_deg``, ``altitude_m``, ``distance_m`` (the file's distance, else the
  great-circle distance along the positions);
- the virtual times, if any, as ``course_elapsed_s`` (s since the first record);
- the sport from the ``course`` message.

References
----------
Garmin FIT SDK, "FIT Course File" (file type 6, ``course`` and ``record`` messages).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from finishline.activity import Activity, ActivityMeta, make_activity, normalize_sport
from finishline.errors import EmptyActivityError
from finishline.io.fit_messages import FitMessages
from finishline.io.fit_samples import device_or_path_distance, positions_deg
from finishline.io.fit_tables import NAT, MessageColumns, text


def course_from_messages(msgs: FitMessages, meta: ActivityMeta, source: str | None) -> Activity:
    """The course in ``msgs`` (see the module docstring).

    Raises
    ------
    EmptyActivityError
        The course holds no record with a position or a distance.
    """
    meta.is_course = True
    course = MessageColumns(msgs.columns("course"))
    if course.n and meta.sport is None:
        meta.sport = normalize_sport(text(course.objects("sport")[0]))
    records = MessageColumns(msgs.columns("record"))
    rows = np.arange(records.n)
    lat, lon = positions_deg(records, rows)
    distance = device_or_path_distance(records.num("distance"), lat, lon, meta)
    altitude = records.first("enhanced_altitude", "altitude")
    keep = np.isfinite(lat) | np.isfinite(distance)
    if not keep.any():
        raise EmptyActivityError(
            "the FIT course holds no point with a position or distance", source
        )
    columns = {
        "distance_m": distance[keep],
        "lat_deg": lat[keep],
        "lon_deg": lon[keep],
        "altitude_m": altitude[keep],
    }
    t_ns = records.ns("timestamp")[keep]
    timed = t_ns != NAT
    if timed.any():
        first = t_ns[timed][0]
        columns["course_elapsed_s"] = np.where(timed, (t_ns - first) / 1e9, np.nan)
        meta.units["course_elapsed_s"] = "s"
    n = int(keep.sum())
    index = pd.DatetimeIndex(np.full(n, np.datetime64("NaT", "ns")), tz="UTC")
    return make_activity(pd.DataFrame(columns, index=index), meta)
