"""A user's own hourly grid series (solar, wind, other load) from CSV, checked on loading.

The file has a column ``hour`` (0, 1, 2, ... with no gaps) and the power columns with
their unit in the name: ``solar_mw``, ``wind_mw``, ``other_load_mw`` (megawatts). A
missing hour, a negative or non-numeric value, a missing column or a column in other units
(``solar_kw``, ``wind_gw``, ...) is refused with a message that names it.
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


def load_grid_series(path: str | Path) -> pd.DataFrame:
    """Read and check the series; returns it indexed by hour, in MW."""
    path = Path(path)
    try:
        table = pd.read_csv(path)
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise GridSeriesError(f"{path}: cannot be read as CSV ({exc})") from exc
    columns = [str(c).strip().lower() for c in table.columns]
    table.columns = columns
    if "hour" not in columns:
        raise GridSeriesError(f"{path}: no column 'hour' (0, 1, 2, ... one row per hour)")
    for wanted in COLUMNS:
        if wanted in columns:
            continue
        other = _wrong_unit(columns, wanted)
        if other:
            raise GridSeriesError(
                f"{path}: column '{other}' is in the wrong unit: give '{wanted}' in MW"
            )
        raise GridSeriesError(f"{path}: missing column '{wanted}' (MW)")
    if table.empty:
        raise GridSeriesError(f"{path}: no rows")
    for column in ("hour", *COLUMNS):
        values = pd.to_numeric(table[column], errors="coerce")
        bad = values.isna() | ~np.isfinite(values.to_numpy(dtype=float, na_value=np.nan))
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise GridSeriesError(
                f"{path}: row {row + 2}, column '{column}' = {shown(table[column].iloc[row])} "
                "is not a finite number"
            )
        table[column] = values.astype(float)
        if (values < 0).any():
            row = int(np.flatnonzero((values < 0).to_numpy())[0])
            raise GridSeriesError(
                f"{path}: row {row + 2}, column '{column}' = {values.iloc[row]:g} is negative"
            )
    hours = table["hour"].to_numpy()
    expected = np.arange(hours.size, dtype=float)
    if not np.array_equal(hours, expected):
        row = int(np.flatnonzero(hours != expected)[0])
        raise GridSeriesError(
            f"{path}: hour {row} is missing (row {row + 2} has hour {hours[row]:g}); "
            "hours must run 0, 1, 2, ... without gaps"
        )
    return table.set_index("hour")[list(COLUMNS)]
