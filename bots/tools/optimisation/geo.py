"""Distances and travel times between points of the city, and random points inside it.

Road distance is the straight-line distance times a detour factor (1.3, a usual ratio for a
city's road grid); travel time is road distance over a speed. Good enough to rank who is
nearer; a road-network matrix can be passed to the engines instead.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from pydantic import Field

from bots.tools.optimisation.common import EngineModel

EARTH_RADIUS_KM = 6371.0
ROAD_DETOUR = 1.3
"""Road distance over straight-line distance in a city grid."""
CITY_CENTRE = (30.20, 120.20)
"""The demo city 滨江市's centre (lat, lon); its regions lie within about 20 km of it."""
CITY_HALF_SIDE_KM = 15.0
"""Random points fall in a 30 km square around the centre."""


class GeoPoint(EngineModel):
    """A point by latitude and longitude (WGS84 degrees)."""

    lat: float = Field(ge=-90.0, le=90.0)
    lon: float = Field(ge=-180.0, le=180.0)


def distance_km(origins: Sequence[GeoPoint], destinations: Sequence[GeoPoint],
                detour: float = ROAD_DETOUR) -> np.ndarray:
    """Road distance in km from every origin (rows) to every destination (columns): the
    great-circle distance times ``detour``."""
    a = np.radians([[p.lat, p.lon] for p in origins]).reshape(-1, 2)
    b = np.radians([[p.lat, p.lon] for p in destinations]).reshape(-1, 2)
    dlat = b[None, :, 0] - a[:, None, 0]
    dlon = b[None, :, 1] - a[:, None, 1]
    h = (np.sin(dlat / 2.0) ** 2
         + np.cos(a[:, None, 0]) * np.cos(b[None, :, 0]) * np.sin(dlon / 2.0) ** 2)
    straight = 2.0 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))
    return np.asarray(straight * detour, dtype=float)


def travel_minutes(origins: Sequence[GeoPoint], destinations: Sequence[GeoPoint],
                   speed_kmh: float = 30.0, detour: float = ROAD_DETOUR) -> list[list[float]]:
    """Travel time in minutes from every origin to every destination at ``speed_kmh`` on
    roads: the time matrix the dispatch engine takes (resources as rows, incidents as
    columns)."""
    if speed_kmh <= 0.0:
        raise ValueError("speed_kmh must be positive")
    minutes = distance_km(origins, destinations, detour) / speed_kmh * 60.0
    return [[round(float(v), 3) for v in row] for row in minutes]


def city_points(rng: np.random.Generator, n: int, hotspots: int = 0,
                spread_km: float = 2.0) -> list[GeoPoint]:
    """``n`` random points in the 30 km square around the demo city's centre; with
    ``hotspots``, half of them cluster (Gaussian, ``spread_km``) around that many random
    centres, as incidents do around low-lying areas."""
    km = rng.uniform(-CITY_HALF_SIDE_KM, CITY_HALF_SIDE_KM, size=(n, 2))
    if hotspots > 0:
        centres = rng.uniform(-CITY_HALF_SIDE_KM, CITY_HALF_SIDE_KM, size=(hotspots, 2))
        clustered = rng.random(n) < 0.5
        picks = rng.integers(0, hotspots, size=n)
        km[clustered] = centres[picks[clustered]] + rng.normal(0.0, spread_km,
                                                               size=(int(clustered.sum()), 2))
        km = np.clip(km, -CITY_HALF_SIDE_KM, CITY_HALF_SIDE_KM)
    lat0, lon0 = CITY_CENTRE
    km_per_lon = 111.32 * math.cos(math.radians(lat0))
    return [GeoPoint(lat=round(lat0 + y / 111.32, 6), lon=round(lon0 + x / km_per_lon, 6))
            for x, y in km]
