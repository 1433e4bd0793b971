"""The morphogenesis report's figures and summary, each from runs of the model.

``draw(out)`` runs the assembly (10 seeds), the cut and regrowth, the disturbed signal
and the identity prior's sweep, writes ``summary.csv`` (one row per run) and the PNGs,
and returns the summary. ``against_paper(out)`` measures what the paper's figures show
(the assembly's time course under both build-ups, the regrowth's, the six perturbations
of its Fig. 5), writes ``against_paper.csv`` (one row per run), ``timecourse.png`` and
``dysmorphogenesis.png``. ``docs/experiments/morphogenesis/make_report.py`` calls both.
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
DEMO_BUILD_UP = 30.0  # SPM's demo builds the signal up over its whole run (t = bin / 32)
ASSEMBLIES = {  # the paper's Fig. 3 under this project's settings, the demo's build-up and
    "default build-up": {},  # the sensory precision the paper's text gives (e^2, not e^3)
    "demo's build-up": {"build_up_time": DEMO_BUILD_UP},
    "sensory precision e^2": {"pi_sense": float(np.exp(2))},
}
# The paper's Fig. 5 (its panels' labels): one sense of every cell scaled, from the start;
# the intracellular one both ways, as its text (doubling) and its caption (decreasing) read
DYSMORPHOGENESIS = {
    "intact": {},
    "position x 1/2": {"position_gain": 0.5},
    "long axis x 2": {"position_gain": 2.0, "position_axis": 1},
    "intracellular x 2": {"release_gain": 2.0},
    "intracellular x 1/2": {"release_gain": 0.5},
    "signal 2 x 1/4": {"signal_gain": 0.25, "signal_index": 2},
    "signal 3 x 1/4": {"signal_gain": 0.25, "signal_index": 3},
}


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


# --- against the paper's figures -------------------------------------------------------
def _kinds(model: MorphogenesisModel) -> np.ndarray:
    """Each place's type (1-4) from its signals, as the grid's: 1 releases signals 2 and 3,
    2 signal 2 only, 3 signal 3 only, 4 signal 4."""
    s = model.form.signals > 0
    return np.where(s[1] & s[2], 1, np.where(s[1], 2, np.where(s[2], 3, 4)))


def _settled(time: np.ndarray, ok: np.ndarray) -> float:
    """The first time from which ``ok`` holds to the end (nan if it does not at the end)."""
    if not ok[-1]:
        return float("nan")
    bad = np.flatnonzero(~ok)
    return float(time[bad[-1] + 1] if len(bad) else time[0])


def _time_course(model: MorphogenesisModel, steps: int, path: list | None = None):
    """Run ``steps`` steps. Returns each step's summed Laplace term
    (:func:`inference.posterior_log_det`, from the state the step starts from, as the
    table's free energy is) and each step's most likely places (after it, as the table's
    identities are); ``path`` collects the positions."""
    p, terms, claims = model.p, [], []
    for _ in range(steps):
        q = inference.softmax(model.v[:, model.alive])
        b = inference.ramp(model.elapsed, p["build_up_time"])
        terms.append(
            inference.posterior_log_det(model.form, q, b, p["pi_sense"], p["pi_identity"]).sum()
        )
        model.step()
        claims.append(np.argmax(model.v[:, model.alive], axis=0))
        if path is not None:
            path.append(model.x.copy())
    return np.array(terms), claims


def _course_row(model: MorphogenesisModel, terms: np.ndarray, claims: list, start: int = 0):
    """What the assembly's (or the regrowth's, from step ``start``) time course shows: free
    energy (the cells' and with the Laplace term) at its first step, its peak and its end;
    when identities become distinct, a permutation, and the cells within half a spacing of
    their places, to stay; the types of the places unclaimed and shared just before the
    identities became distinct (the confusion resolved last)."""
    table = model.table.iloc[start + 1 :]
    time = table["time"].to_numpy() - model.table["time"].iloc[start]
    free = table["free_energy"].to_numpy()
    laplace = free + terms[-len(free) :]
    claims = claims[-len(free) :]
    distinct = table["distinct_identities"].to_numpy() == model.form.n
    peak, top = int(np.argmax(free)), int(np.argmax(laplace))
    missing = shared = ""
    if not distinct.all():
        count = np.bincount(claims[np.flatnonzero(~distinct)[-1]], minlength=model.form.n)
        kinds = _kinds(model)
        missing, shared = (" ".join(map(str, kinds[c])) for c in (count == 0, count > 1))
    return {
        "free_energy_first": free[0],
        "free_energy_peak": free[peak],
        "time_of_peak": time[peak],
        "free_energy_end": free[-1],
        "laplace_first": laplace[0],
        "laplace_peak": laplace[top],
        "time_of_laplace_peak": time[top],
        "laplace_end": laplace[-1],
        "time_distinct": _settled(time, distinct),
        "time_permutation": _settled(time, distinct & (table["certainty"].to_numpy() > 0.5)),
        "time_within_half_spacing": _settled(
            time, table["form_error"].to_numpy() < 0.5 * model.form.spacing
        ),
        "last_unclaimed_types": missing,
        "last_shared_types": shared,
    }


def _shape_row(model: MorphogenesisModel) -> dict:
    """The final form against the target, as ratios to the target's: its size (RMS radius
    about its centre), length and width (sd along each axis). How many cells believe most
    in a place of each type (1-4; the target has 2, 3, 1, 2), how many in the head (the
    places releasing signal 2; 5) and its size, how certain the cells are that believe in
    a place releasing signal 3, and the others."""
    living = np.flatnonzero(model.alive)
    here, places = model.x[:, living], model.form.positions
    q = inference.softmax(model.v[:, living])
    certain, believed = q.max(axis=0), q.argmax(axis=0)

    def radius(a: np.ndarray) -> float:
        if a.shape[1] < 2:
            return float("nan")
        return float(np.sqrt(((a - a.mean(axis=1, keepdims=True)) ** 2).sum(axis=0).mean()))

    kinds = _kinds(model)[believed]
    head = model.form.signals[1] > 0
    in_head, on_three = head[believed], (model.form.signals[2] > 0)[believed]
    return {
        **_row(model),
        "distinct_identities": len(set(believed)),
        "mean_certainty": float(certain.mean()),
        "size": radius(here) / radius(places),
        "length": float(here[0].std() / places[0].std()),
        "width": float(here[1].std() / places[1].std()),
        "cells_by_type": " ".join(str(int((kinds == k).sum())) for k in (1, 2, 3, 4)),
        "head_cells": int(in_head.sum()),
        "head_size": radius(here[:, in_head]) / radius(places[:, head]),
        "certainty_signal3": float(certain[on_three].mean()) if on_three.any() else np.nan,
        "certainty_other": float(certain[~on_three].mean()) if (~on_three).any() else np.nan,
    }


def _timecourse_figure(out: Path, courses: list) -> None:
    """The paper's Fig. 3 (and the demo's windows): free energy, the cells' long-axis
    position over time, their certainty and distinct identities, the final form; one row
    per build-up."""
    fig, axes = plt.subplots(len(courses), 4, figsize=(18, 4.2 * len(courses)))
    axes = np.atleast_2d(axes)
    for row, (label, model, terms, path) in zip(axes, courses, strict=True):
        table = model.table.iloc[1:]
        time = table["time"].to_numpy()
        row[0].plot(time, table["free_energy"], color="k", label="cells' F (descended)")
        row[0].plot(time, table["free_energy"] + terms, color="C3", label="with Laplace term")
        row[0].axhline(0.0, color="0.7", lw=0.8)
        row[0].set(xlabel="time", ylabel="free energy (sum over cells)", title=label)
        row[0].legend(fontsize=8)
        colours = _colours(model)
        for i in range(model.form.n):
            row[1].plot(time, path[1:, 0, i], color=colours[i], lw=1.2)
        for place in np.unique(model.form.positions[0]):
            row[1].axhline(place, color="0.6", ls=":", lw=0.8)
        row[1].set(xlabel="time", ylabel="long-axis location", title="morphogenesis")
        row[2].plot(time, table["certainty"], color="k", label="least certainty")
        twin = row[2].twinx()
        twin.plot(time, table["distinct_identities"], color="C0", label="distinct identities")
        twin.set(ylabel="distinct identities", ylim=(0, model.form.n + 0.5))
        row[2].set(xlabel="time", ylabel="least certainty", ylim=(0, 1), title="identities")
        _form(row[3], model, "final form")
    fig.tight_layout()
    fig.savefig(out / "timecourse.png", dpi=100)
    plt.close(fig)


def against_paper(out: Path, seeds=SEEDS) -> pd.DataFrame:
    """Measure, over ``seeds``, what the paper's figures show; write ``against_paper.csv``
    (one row per run), ``timecourse.png`` and ``dysmorphogenesis.png``; return the rows."""
    out.mkdir(parents=True, exist_ok=True)
    rows, courses, intact = [], [], {}
    for label, change in ASSEMBLIES.items():
        for seed in seeds:
            model = MorphogenesisModel(seed=seed, **change)
            path = [model.x.copy()]
            terms, claims = _time_course(model, STEPS, path)
            rows.append(
                {
                    "figure": "3",
                    "experiment": f"assembly, {label}",
                    "seed": seed,
                    **_course_row(model, terms, claims),
                    **_shape_row(model),
                }
            )
            if not change:
                intact[seed] = model
            if seed == seeds[0] and label in ("default build-up", "demo's build-up"):
                courses.append((f"assembly, {label} (seed {seed})", model, terms, np.array(path)))
    _timecourse_figure(out, courses)
    for keep in ("left", "right"):
        for seed in seeds:
            model = MorphogenesisModel(seed=seed)
            model.run(CUT)
            model.regenerate(keep)
            terms, claims = _time_course(model, STEPS)
            rows.append(
                {
                    "figure": "4",
                    "experiment": f"regrowth, {keep} kept",
                    "seed": seed,
                    **_course_row(model, terms, claims, start=CUT),
                    **_shape_row(model),
                }
            )
    fig, axes = plt.subplots(2, 4, figsize=(18, 6.6), constrained_layout=True)
    for ax, (name, change) in zip(axes.flat, DYSMORPHOGENESIS.items(), strict=False):
        for seed in seeds:
            model = intact[seed] if not change else MorphogenesisModel(seed=seed, **change)
            if change:
                model.run(STEPS)
            rows.append({"figure": "5", "experiment": name, "seed": seed, **_shape_row(model)})
            if seed == seeds[0]:
                _form(ax, model, name)
    axes.flat[-1].axis("off")
    fig.savefig(out / "dysmorphogenesis.png", dpi=100)
    plt.close(fig)
    table = pd.DataFrame(rows)
    table.to_csv(out / "against_paper.csv", index=False)
    return table
