"""Version 2's targets, measured at the defaults: the figures of docs/odd.md section 11.

    python experiments/version2_targets.py [--quick] > docs/experiments/version2_targets.md

Prints a Markdown report: time to target at 512 and 10^4 cells, the long runs (10^4
steps at 10^4 cells, 2,000 steps at 10^6), the optimality gap against command's with
static niches and hop_latency 0, how quiet a calm system is, and bits per niche change
when niches change idiosyncratically. ``--quick`` shortens the long runs (a check that the
script runs, not the figures). Every run is seeded (seed 1), so every figure re-derives.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from dataspace_abm import HolarchyModel
from dataspace_abm.core.metrics import time_to_target

SIZES = {512: (8, 8, 8), 10_000: (16, 25, 25), 1_000_000: (100, 100, 100)}


def run(cells: int, steps: int, **kw):
    n_org, organs, per_organ = SIZES[cells]
    model = HolarchyModel(
        rng=1, n_organizations=n_org, organs_per_organization=organs,
        cells_per_organ=per_organ, **kw,
    )  # fmt: skip
    start = time.perf_counter()
    table = model.run(steps)
    return table, time.perf_counter() - start


def heading(title: str, *columns: str) -> list[str]:
    """A section's title and the head of its table."""
    return [f"## {title}", "", "| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]


def row(*values: object) -> str:
    """One row of a Markdown table."""
    return "| " + " | ".join(str(v) for v in values) + " |"


def reached(table) -> float:
    return time_to_target(table["step"], table["tracking_error"])


def late(table, column: str, rows: int = 60) -> float:
    return float(table[column].iloc[-rows:].mean())


def section_time_to_target() -> list[str]:
    lines = heading(
        "Time to target (tracking error within 0.1, holding 50 steps; target: 60)",
        "cells", "regime", "time_to_target", "tracking_error (last 60)",
    )  # fmt: skip
    for cells in (512, 10_000):
        for mode in ("landscape", "command", "flat"):
            table, _ = run(cells, 400, mode=mode)
            lines.append(
                row(cells, mode, f"{reached(table):.0f}", f"{late(table, 'tracking_error'):.4f}")
            )
    return lines + [""]


def section_long_runs(quick: bool) -> list[str]:
    lines = heading(
        "Long runs (landscape)", "cells", "steps", "tracking_error, steps 500-1,500",
        "last 1,000 steps", "max, last 1,000", "optimality_gap, last 1,000", "seconds",
    )  # fmt: skip
    for cells, steps in ((10_000, 400 if quick else 10_000), (1_000_000, 30 if quick else 2_000)):
        table, seconds = run(cells, steps)
        early = table["tracking_error"].iloc[500:1500].mean() if steps > 1500 else np.nan
        tail = table["tracking_error"].iloc[-1000:]
        gap = table["optimality_gap"].iloc[-1000:].mean()
        values = (early, tail.mean(), tail.max(), gap)
        lines.append(
            row(f"{cells:,}", f"{steps:,}", *(f"{v:.4f}" for v in values), f"{seconds:.0f}")
        )
    return lines + [""]


def section_gap() -> list[str]:
    lines = heading(
        "Optimality gap against command's (static niches, ample capacity, hop_latency 0;"
        " target: within 10 %)",
        "cells", "landscape", "command", "ratio", "flat",
    )  # fmt: skip
    for cells in (512, 10_000):
        gaps = {
            mode: late(run(cells, 600, mode=mode, hop_latency=0)[0], "optimality_gap")
            for mode in ("landscape", "command", "flat")
        }
        ratio = gaps["landscape"] / gaps["command"]
        shown = [f"{gaps[m]:.4f}" for m in ("landscape", "command")]
        lines.append(row(cells, *shown, f"{ratio:.3f}", f"{gaps['flat']:.4f}"))
    return lines + [""]


def section_quiet() -> list[str]:
    lines = heading(
        "A calm system goes quiet (600 steps; target: late bits a step at least 10x below"
        " the first 50 steps', tracking error at or below 0.05)",
        "cells", "regime", "bits a step, steps 1-50", "last 100", "ratio", "tracking_error",
    )  # fmt: skip
    for cells in (512, 10_000):
        for mode in ("landscape", "command", "flat"):
            table, _ = run(cells, 600, mode=mode)
            first = table["bits_total"].iloc[1:51].mean()
            last = table["bits_total"].iloc[-100:].mean()
            error = late(table, "tracking_error", 100)
            lines.append(
                row(
                    cells,
                    mode,
                    f"{first:,.0f}",
                    f"{last:,.0f}",
                    f"{first / last:.1f}",
                    f"{error:.4f}",
                )
            )
    return lines + [""]


def section_local_change() -> list[str]:
    lines = heading(
        "Idiosyncratic niche change (daily niches, independent phases, 600 steps; after"
        " step 200)",
        "regime", "bits", "bits / command's", "optimality_gap", "tracking_error",
    )  # fmt: skip
    lines[1:1] = [
        "",
        "The same niche changes reach both regimes, so bits per change compare as bits.",
    ]
    tables = {
        mode: run(512, 600, mode=mode, niche="daily")[0].iloc[200:]
        for mode in ("landscape", "command", "flat")
    }
    command_bits = tables["command"]["bits_total"].sum()
    for mode, table in tables.items():
        bits = table["bits_total"].sum()
        errors = (table[c].mean() for c in ("optimality_gap", "tracking_error"))
        lines.append(
            row(mode, f"{bits:.3g}", f"{bits / command_bits:.2f}", *(f"{e:.4f}" for e in errors))
        )
    return lines + [""]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short long runs (a smoke test)")
    quick = parser.parse_args().quick
    print("# Version 2's targets at the defaults (seed 1)\n")
    print("Made by `python experiments/version2_targets.py`.\n")
    for lines in (
        section_time_to_target(),
        section_gap(),
        section_quiet(),
        section_local_change(),
        section_long_runs(quick),
    ):
        print("\n".join(lines), flush=True)


if __name__ == "__main__":
    main()
