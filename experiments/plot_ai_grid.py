"""Three figures the experiment runner cannot draw, from a finished batch's files.

The runner draws figures only against a varied parameter, and timeseries only over the
whole run. This script adds:

- `against_bits.png` for `data_sharing`: tracking error and emissions against the lateral
  bits spent, one point per trust threshold (the mean over the seeds with its 95 %
  interval in both directions), from `summary.csv`;
- `event_zoom.png` for `demand_response`: the fleet's power ratio and the inference SLA
  violations in steps 468-575 around the event, mean over the seeds, from `runs.parquet`;
- `work_by_hour.png` for `edge_and_core`: training work by hour of the day, per setting.

    python experiments/plot_ai_grid.py data_sharing results/data_sharing
    python experiments/plot_ai_grid.py demand_response results/demand_response
    python experiments/plot_ai_grid.py edge_and_core results/edge_and_core
"""

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402


def against_bits(out: Path) -> Path:
    """Tracking error and emissions against lateral bits, one point per trust threshold."""
    summary = pd.read_csv(out / "summary.csv")
    panels = [
        ("tracking_error_mean", "mean tracking error"),
        ("emissions_total", "emissions over 4 days, kg CO2"),
    ]
    fig, axes = plt.subplots(1, len(panels), figsize=(10, 4), constrained_layout=True)
    x = summary[summary["measure"] == "bits_lateral_total"].set_index("trust_threshold")
    for ax, (measure, label) in zip(axes, panels, strict=True):
        y = summary[summary["measure"] == measure].set_index("trust_threshold").loc[x.index]
        xerr = [x["mean"] - x["ci95_low"], x["ci95_high"] - x["mean"]]
        yerr = [y["mean"] - y["ci95_low"], y["ci95_high"] - y["mean"]]
        ax.errorbar(x["mean"], y["mean"], xerr=xerr, yerr=yerr, fmt="o-")
        for threshold in x.index:
            ax.annotate(
                f"trust >= {threshold:g}",
                (x.loc[threshold, "mean"], y.loc[threshold, "mean"]),
                textcoords="offset points",
                xytext=(5, 5),
                fontsize=8,
            )
        ax.set_xlabel("lateral bits over 4 days (data-space messages)")
        ax.set_ylabel(label)
    fig.suptitle("Data space: tracking error and emissions against bits spent (95 % intervals)")
    path = out / "figures" / "against_bits.png"
    fig.savefig(path, dpi=100)
    return path


def event_zoom(out: Path, first: int = 468, last: int = 575) -> Path:
    """Power ratio and SLA violations around the demand-response event, per label."""
    runs = pd.read_parquet(out / "runs.parquet")
    runs = runs[(runs["step"] >= first) & (runs["step"] <= last)]
    mean = runs.groupby(["gpu_cost", "label", "step"], sort=True)[
        ["dr_power_ratio", "inference_sla_violations"]
    ].mean()
    seeds = runs["seed"].nunique()
    costs = sorted(runs["gpu_cost"].unique())
    fig, axes = plt.subplots(2, len(costs), figsize=(5 * len(costs), 6), sharex=True, sharey="row")
    for j, cost in enumerate(costs):
        for label, g in mean.loc[cost].groupby(level="label"):
            minutes = (g.index.get_level_values("step") - 504) * 5
            axes[0, j].plot(minutes, g["dr_power_ratio"], label=label)
            axes[1, j].plot(minutes, g["inference_sla_violations"], label=label)
        axes[0, j].set_title(f"GPU cost {cost:g} USD per GPU-hour")
        axes[0, j].axhline(0.75, color="grey", lw=0.8, ls="--")
        for ax in axes[:, j]:
            ax.axvspan(0, 180, color="orange", alpha=0.15)
            ax.axvline(15, color="grey", lw=0.8, ls=":")
        axes[1, j].set_xlabel("minutes from the call at 18:00 (15 min dotted)")
    axes[0, 0].set_ylabel("fleet power / power before the event")
    axes[1, 0].set_ylabel("inference servers off their SLA")
    axes[0, -1].legend(fontsize=8)
    fig.suptitle(
        f"Demand response: asked for 0.75 of the power before the event (mean of {seeds} seeds)"
    )
    fig.tight_layout()
    path = out / "figures" / "event_zoom.png"
    fig.savefig(path, dpi=90)
    return path


def work_by_hour(out: Path) -> Path:
    """Training work by hour of the day (days 2-4) and renewable surplus, per setting."""
    runs = pd.read_parquet(out / "runs.parquet")
    runs = runs[runs["step"] > 96].copy()
    runs["hour"] = (runs["step"] // 4) % 24
    costs = sorted(runs["gpu_cost"].unique())
    plans = sorted(runs["day_ahead"].unique())
    fig, axes = plt.subplots(
        len(plans), len(costs), figsize=(5 * len(costs), 3.4 * len(plans)), sharex=True, sharey=True
    )
    for i, plan in enumerate(plans):
        for j, cost in enumerate(costs):
            ax = axes[i, j]
            sub = runs[(runs["day_ahead"] == plan) & (runs["gpu_cost"] == cost)]
            for grid, g in sub.groupby("grid"):
                ax.plot(g.groupby("hour")["training_work"].mean(), label=grid)
            ax.set_title(f"day-ahead plan {plan}, GPU cost {cost:g} USD", fontsize=10)
            if i == len(plans) - 1:
                ax.set_xlabel("hour of the day (region 0)")
            if j == 0:
                ax.set_ylabel("training work per step (server-hours)")
    axes[0, -1].legend(fontsize=8)
    fig.suptitle("When training runs: work by hour of the day, days 2-4, mean over seeds")
    fig.tight_layout()
    path = out / "figures" / "work_by_hour.png"
    fig.savefig(path, dpi=90)
    return path


if __name__ == "__main__":
    name, out = sys.argv[1], Path(sys.argv[2])
    drawers = {"data_sharing": against_bits, "demand_response": event_zoom}
    drawers["edge_and_core"] = work_by_hour
    print(drawers[name](out))
