"""The morphogenesis report's figures and summary, each from runs of the model.

``draw(out)`` runs the assembly (10 seeds), the cut and regrowth, the disturbed signal
and the identity prior's sweep, writes ``summary.csv`` (one row per run) and the PNGs,
and returns the summary. ``docs/experiments/morphogenesis/make_report.py`` calls it.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402

from . import inference  # noqa: E402
from .model import MorphogenesisModel  # noqa: E402

STEPS = 3000  # 30 time units
CUT = 800  # t = 8, as SPM's split
SEEDS = range(10)
PRIORS = (-2.0, -2.5, -3.0, -3.5, -4.0, -6.0)  # log prior precision of the identities


def _row(model: MorphogenesisModel, **labels) -> dict:
    return {
        **labels,
        "permutation": model.is_permutation(),
        "form_error": model.form_error(),
        "certainty": float(model.table["certainty"].iloc[-1]),
        "free_energy": float(model.table["free_energy"].iloc[-1]),
        "bits": model.totals["bits"],
        "energy": model.totals["energy"],
    }


def _colours(model: MorphogenesisModel) -> np.ndarray:
    palette = np.array(sns.color_palette("tab10", model.form.n))
    return palette[np.argmax(model.v, axis=0)]


def _form(ax, model: MorphogenesisModel, title: str) -> None:
    places = model.form.positions
    ax.scatter(*places, s=260, marker="*", facecolor="none", edgecolor="0.4", label="places")
    living = model.alive
    ax.scatter(*model.x[:, living], s=70, c=_colours(model)[living], edgecolor="k", zorder=3)
    ax.set(title=title, aspect="equal", xlim=(-3.2, 3.7), ylim=(-1.9, 1.9))
    ax.set_xlabel("location")


def _assembly(out: Path, model: MorphogenesisModel, path: np.ndarray) -> None:
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.4), constrained_layout=True)
    colours = _colours(model)
    for i in range(model.form.n):
        axes[0].plot(path[:, 0, i], path[:, 1, i], color=colours[i], lw=1.2)
    _form(axes[0], model, "paths and final form (seed 0)")
    table = model.table
    axes[1].plot(table["time"], table["free_energy"], color="k")
    axes[1].set(yscale="log", xlabel="time", ylabel="free energy (sum over cells)")
    axes[1].set_title("free energy")
    q = inference.softmax(model.v)
    order = np.argsort(np.argmax(q, axis=0))
    sns.heatmap(q[:, order], ax=axes[2], cmap="pink_r", vmin=0, vmax=1, square=True)
    axes[2].set(title="softmax expectations", xlabel="cell", ylabel="identity (place)")
    fig.savefig(out / "assembly.png", dpi=110)
    plt.close(fig)


def draw(out: Path, seeds=SEEDS, priors=PRIORS) -> pd.DataFrame:
    """Run everything over ``seeds`` (and the identity ``priors``, log precisions), write
    the figures and ``summary.csv`` into ``out``; returns the summary."""
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for seed in seeds:
        model = MorphogenesisModel(seed=seed)
        path = [model.x.copy()]
        for _ in range(STEPS):
            model.step()
            path.append(model.x.copy())
        rows.append(_row(model, experiment="assembly", seed=seed))
        if seed == 0:
            _assembly(out, model, np.array(path))
    fig, axes = plt.subplots(2, 2, figsize=(11, 6.4), constrained_layout=True)
    for k, keep in enumerate(("left", "right")):
        for seed in seeds:
            model = MorphogenesisModel(seed=seed)
            model.run(CUT)
            model.regenerate(keep)
            if seed == 0:
                _form(axes[0, k], model, f"cut at t = 8, the {keep} half divides")
            model.run(STEPS)
            rows.append(_row(model, experiment=f"regrowth, {keep} kept", seed=seed))
            if seed == 0:
                _form(axes[1, k], model, "30 time units later")
    fig.savefig(out / "regrowth.png", dpi=110)
    plt.close(fig)
    fig, axes = plt.subplots(1, 3, figsize=(15, 3.8), constrained_layout=True)
    for ax, gain in zip(axes, (1.0, 0.8, 0.5), strict=True):
        for seed in seeds:
            model = MorphogenesisModel(seed=seed, signal_gain=gain)
            model.run(STEPS)
            rows.append(_row(model, experiment=f"signal gain {gain:g}", seed=seed))
            if seed == 0:
                _form(ax, model, f"sensed signal x {gain:g}")
    fig.savefig(out / "disturbed_signal.png", dpi=110)
    plt.close(fig)
    for log_prior in priors:
        for seed in seeds:
            prior = float(np.exp(log_prior))
            model = MorphogenesisModel(seed=seed, pi_identity=prior)
            model.run(STEPS)
            rows.append(_row(model, experiment="prior, assembly", seed=seed, log_prior=log_prior))
            model = MorphogenesisModel(seed=seed, pi_identity=prior)
            model.run(CUT)
            model.regenerate("left" if seed % 2 else "right")
            model.run(STEPS)
            rows.append(_row(model, experiment="prior, regrowth", seed=seed, log_prior=log_prior))
    summary = pd.DataFrame(rows)
    summary.to_csv(out / "summary.csv", index=False)
    sweep = summary[summary["experiment"].str.startswith("prior")]
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8), constrained_layout=True)
    sns.lineplot(sweep, x="log_prior", y="form_error", hue="experiment", marker="o", ax=axes[0])
    axes[0].axhline(0.5, color="0.5", ls="--", lw=1)
    axes[0].set(yscale="log", xlabel="log prior precision of identity", ylabel="form error")
    share = sweep.groupby(["experiment", "log_prior"])["permutation"].mean().reset_index()
    sns.lineplot(share, x="log_prior", y="permutation", hue="experiment", marker="o", ax=axes[1])
    axes[1].set(xlabel="log prior precision of identity", ylabel="share of seeds formed")
    fig.savefig(out / "identity_prior.png", dpi=110)
    plt.close(fig)
    return summary
