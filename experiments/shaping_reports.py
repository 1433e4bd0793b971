"""The tables and extra figures of the reports `when_shaping_wins` and `pareto`, from the
run tables of their batches (docs/experiments/when_shaping_wins, docs/experiments/pareto).

    python experiments/shaping_reports.py map results/when_shaping_wins
    python experiments/shaping_reports.py pareto results/pareto

Each reads `runs.parquet` and the spec the batch ran (`spec.toml` beside it, or the one in
experiments/), writes its figures into `figures/` and its tables into `tables.md` in the
same folder: every number of the reports' Findings comes from those tables.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.ticker import NullFormatter

from dataspace_abm.batch.compare import (
    best_alternative,
    energy_at,
    paired_difference,
    pareto_front,
)
from dataspace_abm.batch.derived import mean_interval, run_values
from dataspace_abm.batch.figures import REGIME_COLOURS, save_png
from dataspace_abm.batch.report import markdown_table
from dataspace_abm.batch.spec import load_spec
from dataspace_abm.core.parameter import ENERGY_SETTINGS
from dataspace_abm.core.params import PARAMETERS

HERE = Path(__file__).parent
REGIMES = ["landscape", "command", "flat", "autonomous"]
COLOURS = REGIME_COLOURS
MEASURES = {
    "optimality_gap_end": "optimality gap",
    "tracking_error_end": "tracking error",
    "bits_end": "bits",
    "energy_end": "energy",
}
ERRORS = ("optimality_gap_end", "tracking_error_end")
# c_bit / c_act of the two calibrations (docs/odd.md D17)
CALIBRATIONS = {k: v["c_bit"] / v["c_act"] for k, v in ENERGY_SETTINGS.items()}


def per_run_table(out: Path, name: str) -> pd.DataFrame:
    """One row per run, re-derived from the batch's runs.parquet with the spec it ran."""
    spec = load_spec(HERE / f"{name}.toml")
    runs = pd.read_parquet(out / "runs.parquet")
    per_run = run_values(spec, runs)
    return per_run.assign(**{k: v for k, v in spec.fixed.items() if k not in per_run})


# --- the map ------------------------------------------------------------------------------
def wins(per_run: pd.DataFrame) -> pd.DataFrame:
    """Per measure and N: in how many cells of the map each regime is best (decided)."""
    cells = ["society", "niches", "hop_latency"]
    rows = []
    for measure, words in MEASURES.items():
        # bits and energy only among the regimes that coordinate (autonomous sends nothing)
        among = per_run if measure in ERRORS else per_run[per_run["mode"] != "autonomous"]
        best = best_alternative(among, measure, cells)
        best["N"] = best["society"].str.split(",").str[0]
        for n, part in best.groupby("N", sort=False):
            row = {"measure": words, "N": n, "cells": len(part)}
            for regime in REGIMES:
                mine = part[part["best"] == regime]
                row[regime] = f"{len(mine)} ({int(mine['decided'].sum())})"
            rows.append(row)
    return pd.DataFrame(rows)


def landscape_against_command(per_run: pd.DataFrame, measure: str, latency: int) -> pd.DataFrame:
    """Landscape minus command per cell at one hop latency, paired by seed."""
    part = per_run[per_run["hop_latency"] == latency]
    table = paired_difference(part, measure, ["society", "niches"], "landscape", "command")
    wide = table.assign(
        text=[
            f"{d:+.3f} [{lo:+.3f}, {hi:+.3f}] {k:.0f}/{n:.0f}"
            for d, lo, hi, k, n in table[["difference", "low", "high", "a_lower", "n"]].to_numpy()
        ]
    ).pivot(index="niches", columns="society", values="text")
    order = list(dict.fromkeys(per_run["niches"]))
    return wide.loc[order, list(dict.fromkeys(per_run["society"]))].reset_index()


def bits_per_change(per_run: pd.DataFrame, folder: Path) -> Path:
    """Bits per cell and niche cycle against N (daily niches, hop latency 1, capacity N)."""
    part = per_run[(per_run["niche"] == "daily") & (per_run["hop_latency"] == 1)]
    part = part[part["society"].str.endswith(", N")].copy()
    cycles = 300 / part["niche_period"]
    part["bits per cell and niche cycle"] = part["bits_end"] / (part["n_cells"] * cycles)
    part["niches"] = part["niches"].str.replace("|", " | ")
    grid = sns.relplot(
        data=part[part["mode"] != "autonomous"],
        x="n_cells",
        y="bits per cell and niche cycle",
        hue="mode",
        hue_order=REGIMES[:3],
        palette=COLOURS,
        col="niches",
        col_wrap=4,
        kind="line",
        marker="o",
        errorbar=lambda v: mean_interval(v),
        height=1.9,
        aspect=1.15,
        facet_kws={"sharey": True},
    )
    grid.set(xscale="log", yscale="log")
    grid.set_axis_labels("cells", "")
    for i, ax in enumerate(grid.axes.flat):
        ax.yaxis.set_minor_formatter(NullFormatter())
        ax.tick_params(labelleft=i % 4 == 0, labelsize=7)
    grid.figure.supylabel("bits per cell and niche cycle", fontsize=9)
    grid.set_titles("{col_name}", size=8)
    grid.legend.set_title("regime")
    grid.figure.subplots_adjust(top=0.86)
    grid.figure.suptitle(
        "Bits per cell and niche cycle against N (hop latency 1, society's capacity N)\n"
        "panels: niche period (steps) | amplitude (x spread) | phases",
        fontsize=9,
    )
    path = folder / "bits_per_niche_change.png"
    save_png(grid.figure, path)
    return path


def information_age(per_run: pd.DataFrame, folder: Path) -> Path:
    """Information age and queue wait against society's capacity, per N (hop latency 1)."""
    part = per_run[(per_run["hop_latency"] == 1) & (per_run["mode"] != "autonomous")].copy()
    part["capacity"] = part["society"].str.split(", ").str[1]
    part["N"] = part["society"].str.split(",").str[0]
    part = part[part["niches"].isin(["static", "20|1|own", "20|1|shared"])]
    long = part.melt(
        id_vars=["mode", "capacity", "N", "niches"],
        value_vars=["information_age_end", "queue_wait_end"],
        var_name="what",
    )
    long["what"] = long["what"].map(
        {"information_age_end": "information age (steps)", "queue_wait_end": "queue wait (steps)"}
    )
    long["row"] = long["what"] + ", " + long["niches"]
    grid = sns.catplot(
        data=long,
        x="capacity",
        order=["N/64", "N/8", "N"],
        y="value",
        hue="mode",
        hue_order=REGIMES[:3],
        palette=COLOURS,
        col="N",
        row="row",
        kind="point",
        errorbar=lambda v: mean_interval(v),
        height=1.6,
        aspect=1.5,
        sharey="row",
        dodge=0.3,
    )
    grid.set_titles("{row_name}, {col_name} cells", size=7)
    grid.set_axis_labels("society's capacity (messages per step)", "steps")
    grid.legend.set_title("regime")
    path = folder / "information_age_against_capacity.png"
    save_png(grid.figure, path)
    return path


def energy_verdict(per_run: pd.DataFrame, folder: Path) -> tuple[Path, pd.DataFrame]:
    """Share of the map's cells in which each regime spends the least energy, as the cost of
    a bit relative to a unit of action (c_bit / c_act) moves over 26 decades (c_inf and
    c_central at their defaults; communication energy is c_bit x bits, per hop)."""
    c_bit = PARAMETERS["c_bit"].default
    per_run = per_run[per_run["mode"] != "autonomous"]  # it spends least by not coordinating
    other = per_run["energy_end"] - c_bit * per_run["bits_end"]
    ratios = np.logspace(-20, 6, 53)
    cells = ["society", "niches", "hop_latency"]
    rows = []
    for ratio in ratios:
        scored = per_run.assign(
            energy=other + ratio * PARAMETERS["c_act"].default * per_run["bits_end"]
        )
        best = best_alternative(scored, "energy", cells)
        share = best["best"].value_counts(normalize=True)
        rows += [
            {"c_bit / c_act": ratio, "mode": r, "share": share.get(r, 0.0)} for r in REGIMES[:3]
        ]
    table = pd.DataFrame(rows)
    fig, ax = plt.subplots(figsize=(5.0, 2.8), layout="constrained")
    for regime in REGIMES[:3]:
        part = table[table["mode"] == regime]
        ax.plot(part["c_bit / c_act"], part["share"], label=regime, color=COLOURS[regime])
    for name, ratio in CALIBRATIONS.items():
        ax.axvline(ratio, color="0.4", linestyle=":", linewidth=1)
        ax.text(ratio, 1.02, name.replace("_", " "), ha="center", fontsize=7, color="0.3")
    ax.axvline(c_bit, color="0.4", linestyle="--", linewidth=1)
    ax.text(c_bit, 1.02, "default", ha="center", fontsize=7, color="0.3")
    ax.set_xscale("log")
    ax.set_ylim(0, 1.08)
    ax.set_xlabel("cost of a bit per hop / cost of a unit squared move (c_bit / c_act)")
    ax.set_ylabel("share of the map's cells")
    ax.set_title("Lowest energy over steps 300-600 among the coordinating regimes", fontsize=9)
    ax.legend(title="regime", fontsize=7, title_fontsize=7, loc="center left")
    path = folder / "energy_verdict_against_bit_cost.png"
    save_png(fig, path)
    return path, table


def map_report(out: Path, spec: str = "when_shaping_wins") -> None:
    per_run = per_run_table(out, spec)
    folder = out / "figures"
    folder.mkdir(exist_ok=True)
    bits_per_change(per_run, folder)
    information_age(per_run, folder)
    _, verdict = energy_verdict(per_run, folder)
    lines = ["# Tables of when_shaping_wins (from runs.parquet)", ""]
    lines += ["## Cells of the map each regime wins: all (decided)", ""]
    lines += [markdown_table(wins(per_run)), ""]
    for measure in ("optimality_gap_end", "tracking_error_end", "bits_end"):
        for latency in sorted(per_run["hop_latency"].unique()):
            lines += [
                f"## Landscape minus command, {MEASURES[measure]}, hop latency {latency}",
                "",
                "Mean of the paired difference [95 % interval], and in how many seeds",
                "landscape's value is the lower.",
                "",
                markdown_table(landscape_against_command(per_run, measure, latency)),
                "",
            ]
    pivot = verdict.pivot(index="c_bit / c_act", columns="mode", values="share")
    pick = pivot.iloc[::4].round(3).reset_index()
    pick["c_bit / c_act"] = pick["c_bit / c_act"].map(lambda r: f"{r:.0e}")
    lines += ["## Share of cells with the lowest energy, against c_bit / c_act", ""]
    lines += [markdown_table(pick), ""]
    (out / "tables.md").write_text("\n".join(lines) + "\n")


# --- the Pareto fronts ------------------------------------------------------------------------
def regime_of(label: str) -> str:
    return (
        label.split(",")[0]
        .replace("landscape tilt", "landscape")
        .replace("landscape well", "landscape (well)")
    )


def pareto_points(per_run: pd.DataFrame, coefficients: dict[str, float] | None) -> pd.DataFrame:
    """Mean error, bits and energy of every knob setting in every condition."""
    data = per_run.assign(energy=energy_at(per_run, coefficients or {}))
    keys = ["conditions", "knobs", "mode"]
    means = data.groupby(keys, sort=False)[
        ["optimality_gap_end", "tracking_error_end", "bits_end", "energy"]
    ].mean()
    return means.reset_index().assign(regime=lambda d: d["knobs"].map(regime_of))


def fronts_figure(points: pd.DataFrame, cost: str, folder: Path, name: str, what: str) -> Path:
    conditions = list(dict.fromkeys(points["conditions"]))
    fig, axes = plt.subplots(1, len(conditions), figsize=(7.2, 2.6), layout="constrained")
    colours = {**COLOURS, "landscape (well)": sns.color_palette("colorblind", 6)[4]}
    points = points[points["regime"] != "autonomous"]  # no bits; it does not coordinate
    for ax, condition in zip(axes, conditions, strict=True):
        part = points[points["conditions"] == condition]
        for regime, group in part.groupby("regime", sort=False):
            ax.scatter(group[cost], group["optimality_gap_end"], s=8, alpha=0.35,
                       color=colours[regime], linewidths=0)  # fmt: skip
            front = pareto_front(group, cost, "optimality_gap_end")
            ax.step(
                front[cost],
                front["optimality_gap_end"],
                where="post",
                color=colours[regime],
                label=regime,
                linewidth=1.3,
                marker="o",
                markersize=3,
            )
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.yaxis.set_minor_formatter(NullFormatter())
        ax.set_title(condition, fontsize=8)
        ax.set_xlabel(what, fontsize=8)
        ax.tick_params(labelsize=7)
    axes[0].set_ylabel("optimality gap (state units)", fontsize=8)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, title="regime", loc="outside right center", fontsize=7,
               title_fontsize=7, frameon=False)  # fmt: skip
    fig.suptitle(
        f"Optimality gap against {what}, 10^3 cells: each knob setting (dots) and each "
        "regime's front (lines)\n(autonomous cells, which do not coordinate, are not drawn: "
        "gap 1.42)",
        fontsize=8,
    )
    path = folder / f"{name}.png"
    save_png(fig, path)
    return path


def best_within(points: pd.DataFrame, cost: str, budgets: list[float]) -> pd.DataFrame:
    """Per condition and budget: each regime's lowest optimality gap at or below it."""
    rows = []
    for condition, part in points.groupby("conditions", sort=False):
        for budget in budgets:
            row = {"condition": condition, f"budget ({cost})": f"{budget:.3g}"}
            for regime, group in part.groupby("regime", sort=False):
                ok = group[group[cost] <= budget]
                row[regime] = f"{ok['optimality_gap_end'].min():.3f}" if len(ok) else "-"
            rows.append(row)
    return pd.DataFrame(rows)


def pareto_report(out: Path, spec: str = "pareto") -> None:
    per_run = per_run_table(out, spec)
    folder = out / "figures"
    folder.mkdir(exist_ok=True)
    points = pareto_points(per_run, None)
    fronts_figure(points, "bits_end", folder, "fronts_bits", "bits over steps 300-600")
    fronts_figure(points, "energy", folder, "fronts_energy", "energy over steps 300-600 (J)")
    lines = ["# Tables of pareto (from runs.parquet)", ""]
    budgets = [float(b) for b in np.logspace(5, 9, 9)]
    lines += ["## Lowest optimality gap within a budget of bits (steps 300-600)", ""]
    lines += [markdown_table(best_within(points, "bits_end", budgets)), ""]
    for name, coefficients in [("default", None), *ENERGY_SETTINGS.items()]:
        calibrated = pareto_points(per_run, coefficients)
        if coefficients is not None:
            fronts_figure(calibrated, "energy", folder, f"fronts_energy_{name}",
                          f"energy, {name.replace('_', ' ')} calibration (J)")  # fmt: skip
        lines += [f"## Each regime's front against energy, {name} calibration", ""]
        rows = []
        for (condition, regime), group in calibrated.groupby(["conditions", "regime"], sort=False):
            front = pareto_front(group, "energy", "optimality_gap_end")
            rows.append({
                "condition": condition, "regime": regime,
                "lowest gap": f"{group['optimality_gap_end'].min():.3f}",
                "its energy (J)": f"{front['energy'].iloc[-1]:.3g}",
                "least energy (J)": f"{group['energy'].min():.3g}",
                "its gap": f"{front['optimality_gap_end'].iloc[0]:.3f}",
                "knobs of the lowest gap": front["knobs"].iloc[-1],
            })  # fmt: skip
        lines += [markdown_table(pd.DataFrame(rows)), ""]
    (out / "tables.md").write_text("\n".join(lines) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", choices=("map", "pareto"))
    parser.add_argument("out", type=Path, help="the batch's output folder")
    parser.add_argument("--spec", help="the spec's name in experiments/ (default: the report's)")
    args = parser.parse_args()
    report = map_report if args.report == "map" else pareto_report
    report(args.out, *([args.spec] if args.spec else []))
    print(f"tables in {args.out / 'tables.md'}, figures in {args.out / 'figures'}")


if __name__ == "__main__":
    main()
