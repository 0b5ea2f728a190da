"""Great-circle distances between GPS positions, vectorised.

The readers use :func:`cumulative_distance_m` to build ``distance_m`` for files that carry
positions but no device distance (GPX, some TCX); later stages reuse :func:`haversine_m`.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

#: Mean Earth radius (m), the IUGG arithmetic mean radius R1 = (2a + b) / 3 of WGS84.
EARTH_RADIUS_M = 6_371_008.8


def haversine_m(
    lat1_deg: ArrayLike,
    lon1_deg: ArrayLike,
    lat2_deg: ArrayLike,
    lon2_deg: ArrayLike,
    radius_m: float = EARTH_RADIUS_M,
) -> np.ndarray:
    """Great-circle distance (m) between two sets of positions, element-wise.

    Parameters
    ----------
    lat1_deg, lon1_deg, lat2_deg, lon2_deg
        WGS84 latitudes and longitudes in degrees (broadcastable arrays or scalars).
    radius_m
        Sphere radius in m; the mean Earth radius by default.

    Returns
    -------
    numpy.ndarray
        Distances in m; NaN wherever an input is NaN.

    Notes
    -----
    A sphere, not the ellipsoid: the error against the geodesic is at most ~0.5 % over long
    baselines and far below GPS noise over the 1-10 m steps of an activity file. The haversine
    form stays accurate for the tiny angles between consecutive samples, where the spherical
    law of cosines loses precision.

    References
    ----------
    Sinnott, R. W. (1984). Virtues of the haversine. *Sky and Telescope* 68(2), 159.
    Moritz, H. (2000). Geodetic Reference System 1980. *Journal of Geodesy* 74, 128-133
    (mean radius R1).
    """
    phi1 = np.radians(np.asarray(lat1_deg, dtype=float))
    phi2 = np.radians(np.asarray(lat2_deg, dtype=float))
    dphi = phi2 - phi1
    dlmb = np.radians(np.asarray(lon2_deg, dtype=float) - np.asarray(lon1_deg, dtype=float))
    h = np.sin(dphi / 2.0) ** 2 + np.cos(phi1) * np.cos(phi2) * np.sin(dlmb / 2.0) ** 2
    return 2.0 * radius_m * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


def step_distance_m(
    lat_deg: ArrayLike, lon_deg: ArrayLike, breaks: ArrayLike | None = None
) -> np.ndarray:
    """Distance (m) from the previous valid position to each sample.

    Parameters
    ----------
    lat_deg, lon_deg
        Positions in degrees, in time order; NaN where a sample has no position.
    breaks
        Optional boolean array, true where a sample starts a new piece of track (a GPX
        segment after a pause): the jump from the previous position is not counted there.

    Returns
    -------
    numpy.ndarray
        One value per sample: 0 for the first valid position, at breaks, and for samples without
        a position (which are skipped: the next valid position connects to the last valid one).
    """
    lat = np.asarray(lat_deg, dtype=float)
    lon = np.asarray(lon_deg, dtype=float)
    steps = np.zeros(lat.shape, dtype=float)
    valid = np.flatnonzero(np.isfinite(lat) & np.isfinite(lon))
    if valid.size < 2:
        return steps
    prev, cur = valid[:-1], valid[1:]
    hop = haversine_m(lat[prev], lon[prev], lat[cur], lon[cur])
    if breaks is not None:
        brk = np.asarray(breaks, dtype=bool)
        # A break anywhere between two valid positions (including on a skipped sample) cuts.
        n_breaks = np.cumsum(brk)
        hop[n_breaks[cur] != n_breaks[prev]] = 0.0
    steps[cur] = hop
    return steps


def cumulative_distance_m(
    lat_deg: ArrayLike, lon_deg: ArrayLike, breaks: ArrayLike | None = None
) -> np.ndarray:
    """Cumulative great-circle distance (m) along a track, starting at 0.

    Parameters
    ----------
    lat_deg, lon_deg, breaks
        As for :func:`step_distance_m`.

    Returns
    -------
    numpy.ndarray
        Cumulative distance in m; all NaN when the track has no valid position. Samples without
        a position carry the distance of the last valid one (0 before the first).

    References
    ----------
    Sinnott, R. W. (1984). Virtues of the haversine. *Sky and Telescope* 68(2), 159.
    """
    lat = np.asarray(lat_deg, dtype=float)
    lon = np.asarray(lon_deg, dtype=float)
    if not (np.isfinite(lat) & np.isfinite(lon)).any():
        return np.full(lat.shape, np.nan)
    return np.cumsum(step_distance_m(lat, lon, breaks))
