"""The grid regions: solar, wind and other load in each, the surplus, prices, forecasts.

All power is in fleet units (multiples of the whole fleet's rated IT power). Installed
solar and wind and the other load are split evenly over the regions; region ``r``'s clock
runs ``r x region_offset_hours`` ahead (another longitude: its sun, its evening peak),
and its wind is an AR(1) capacity factor of its own. A user's series replaces all three.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from .series import load_grid_series


def daily_bump(hour: float | np.ndarray, peak_hour: float) -> float | np.ndarray:
    """A smooth daily profile in [0, 1]: 1 at ``peak_hour``, 0 twelve hours away."""
    return ((1.0 + np.cos(2.0 * np.pi * (hour - peak_hour) / 24.0)) / 2.0) ** 2


def solar_profile(p: Mapping[str, Any], hour: np.ndarray) -> np.ndarray:
    """Half-sine between sunrise and sunset, scaled so its daily mean is the capacity
    factor; fleet units of the whole installed solar."""
    day = p["sunset"] - p["sunrise"]
    if day <= 0:
        return np.zeros_like(hour)
    peak = p["solar_capacity_factor"] * (24.0 / day) * (np.pi / 2.0)
    up = (hour >= p["sunrise"]) & (hour <= p["sunset"])
    shape = np.minimum(1.0, peak * np.sin(np.pi * (hour - p["sunrise"]) / day))
    return p["solar_capacity"] * np.where(up, shape, 0.0)


class Grid:
    """The regions' weather and other load; each quantity an array with one value per region."""

    def __init__(self, params: Mapping[str, Any], fleet_kw: float, rng: np.random.Generator):
        self.p = p = params
        self.n = p["regions"]
        self.hours = p["step_minutes"] / 60.0
        self.offset = p["region_offset_hours"] * np.arange(self.n)
        self.weather = np.random.default_rng(rng.integers(2**63))  # the same for every regime
        self.wind = [np.full(self.n, p["wind_capacity_factor"])]
        self.series = None  # (regions, hours, 3) in fleet units
        if p["grid_series"]:
            table = load_grid_series(p["grid_series"], regions=self.n)
            self.series = table * 1000.0 / fleet_kw

    def hour(self, t: int) -> np.ndarray:
        """Each region's local hour at step ``t``."""
        return (t * self.hours + self.offset) % 24.0

    def _given(self, t: int, column: int) -> np.ndarray:
        return self.series[:, int(t * self.hours) % self.series.shape[1], column]

    def solar(self, t: int) -> np.ndarray:
        if self.series is not None:
            return self._given(t, 0)
        return solar_profile(self.p, self.hour(t)) / self.n

    def wind_power(self, t: int) -> np.ndarray:
        if self.series is not None:
            return self._given(t, 1)
        p = self.p
        while len(self.wind) <= t:
            w = self.wind[-1] + (1 - p["wind_persistence"]) * (
                p["wind_capacity_factor"] - self.wind[-1]
            )
            w = w + p["wind_volatility"] * self.weather.standard_normal(self.n)
            self.wind.append(np.clip(w, 0.0, 1.0))
        return p["wind_capacity"] * self.wind[t] / self.n

    def renewable(self, t: int) -> np.ndarray:
        return self.solar(t) + self.wind_power(t)

    def other_load(self, t: int) -> np.ndarray:
        if self.series is not None:
            return self._given(t, 2)
        p = self.p
        swing = np.cos(2.0 * np.pi * (self.hour(t) - p["peak_hour"]) / 24.0)
        return p["other_load"] * (1.0 + p["other_load_swing"] * swing) / self.n

    def surplus(self, t: int) -> np.ndarray:
        """Renewable power left after the region's other load."""
        return np.maximum(0.0, self.renewable(t) - self.other_load(t))

    def price(self, renewable: np.ndarray, other: np.ndarray) -> np.ndarray:
        """USD per kWh of power beyond the surplus: dearer the larger the region's shortfall
        (scaled to the whole grid), plus the carbon price."""
        p = self.p
        shortfall = np.maximum(0.0, other - renewable) * self.n
        carbon = p["carbon_price"] * p["carbon_intensity"] / 1000.0
        return p["price_base"] * (1.0 + p["price_scarcity"] * shortfall) + carbon

    def fossil_price(self, t: int) -> np.ndarray:
        return self.price(self.renewable(t), self.other_load(t))

    def expected(self, steps: int) -> tuple[np.ndarray, np.ndarray]:
        """Surplus and fossil price over ``steps`` steps from step 0 with wind at its mean
        (or the user's series): what an operator provisions for. Shapes (steps, regions)."""
        p = self.p
        surplus, price = [], []
        for t in range(steps):
            if self.series is None:
                solar = solar_profile(p, self.hour(t)) / self.n
                renewable = solar + p["wind_capacity"] * p["wind_capacity_factor"] / self.n
            else:
                renewable = self.renewable(t)
            other = self.other_load(t)
            surplus.append(np.maximum(0.0, renewable - other))
            price.append(self.price(renewable, other))
        return np.array(surplus), np.array(price)
