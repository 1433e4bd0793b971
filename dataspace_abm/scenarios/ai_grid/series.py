"""A user's own hourly grid series (solar, wind, other load) from CSV, checked on loading.

The file has a column ``hour`` (0, 1, 2, ... with no gaps) and the power columns with
their unit in the name: ``solar_mw``, ``wind_mw``, ``other_load_mw`` (megawatts). A
missing hour, a negative or non-numeric value, a missing column or a column in other units
(``solar_kw``, ``wind_gw``, ...) is refused with a message that names it.

With several grid regions the file has a column ``region`` (any names) and, for each
region, the same hours 0, 1, 2, ...; regions are taken in the order they first appear. A
region count other than the model's ``regions``, or regions of different lengths, is
refused.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ...core.parameter import shown

COLUMNS = ("solar_mw", "wind_mw", "other_load_mw")
OTHER_UNITS = ("w", "kw", "gw", "mwh", "kwh", "pu", "percent")


class GridSeriesError(ValueError):
    """The CSV does not hold a valid hourly series."""


def _wrong_unit(columns: list[str], wanted: str) -> str | None:
    stem = wanted.rsplit("_", 1)[0]
    for unit in OTHER_UNITS:
        if f"{stem}_{unit}" in columns:
            return f"{stem}_{unit}"
    return None


def load_grid_series(path: str | Path, regions: int = 1) -> np.ndarray:
    """Read and check the series; returns it in MW, shape (regions, hours, 3)."""
    path = Path(path)
    table = _read(path)
    if "region" not in table.columns:
        if regions > 1:
            raise GridSeriesError(
                f"{path}: no column 'region', but the model has {regions} regions"
            )
        return _hourly(path, table).to_numpy()[None]
    names = list(dict.fromkeys(table["region"].astype(str)))
    if len(names) != regions:
        raise GridSeriesError(
            f"{path}: {len(names)} regions ({', '.join(names)}), but the model has {regions}"
        )
    parts = []
    for name in names:
        rows = table[table["region"].astype(str) == name].drop(columns="region")
        parts.append(_hourly(path, rows, f"region {name!r}: "))
    lengths = {len(part) for part in parts}
    if len(lengths) > 1:
        sizes = ", ".join(f"{n} {len(part)}" for n, part in zip(names, parts, strict=True))
        raise GridSeriesError(f"{path}: the regions have different numbers of hours ({sizes})")
    return np.stack([part.to_numpy() for part in parts])


def _read(path: Path) -> pd.DataFrame:
    try:
        table = pd.read_csv(path)
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise GridSeriesError(f"{path}: cannot be read as CSV ({exc})") from exc
    table.columns = [str(c).strip().lower() for c in table.columns]
    return table


def _hourly(path: Path, table: pd.DataFrame, where: str = "") -> pd.DataFrame:
    """One region's rows checked: hours without gaps, finite non-negative MW."""
    columns = list(table.columns)
    table = table.copy()
    line = table.index.to_numpy() + 2  # the file's line of each row (after the header)
    if "hour" not in columns:
        raise GridSeriesError(f"{path}: {where}no column 'hour' (0, 1, 2, ... one row per hour)")
    for wanted in COLUMNS:
        if wanted in columns:
            continue
        other = _wrong_unit(columns, wanted)
        if other:
            raise GridSeriesError(
                f"{path}: {where}column '{other}' is in the wrong unit: give '{wanted}' in MW"
            )
        raise GridSeriesError(f"{path}: {where}missing column '{wanted}' (MW)")
    if table.empty:
        raise GridSeriesError(f"{path}: {where}no rows")
    for column in ("hour", *COLUMNS):
        values = pd.to_numeric(table[column], errors="coerce")
        bad = values.isna() | ~np.isfinite(values.to_numpy(dtype=float, na_value=np.nan))
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise GridSeriesError(
                f"{path}: {where}row {line[row]}, column '{column}' = "
                f"{shown(table[column].iloc[row])} "
                "is not a finite number"
            )
        table[column] = values.astype(float)
        if (values < 0).any():
            row = int(np.flatnonzero((values < 0).to_numpy())[0])
            raise GridSeriesError(
                f"{path}: {where}row {line[row]}, column '{column}' = {values.iloc[row]:g} "
                "is negative"
            )
    hours = table["hour"].to_numpy()
    expected = np.arange(hours.size, dtype=float)
    if not np.array_equal(hours, expected):
        row = int(np.flatnonzero(hours != expected)[0])
        raise GridSeriesError(
            f"{path}: {where}hour {row} is missing (row {line[row]} has hour {hours[row]:g}); "
            "hours must run 0, 1, 2, ... without gaps"
        )
    return table.set_index("hour")[list(COLUMNS)]
