"""The end of a batch: ``runs.parquet``, ``summary.csv``, figures and ``report.md``.

``runs.parquet`` is tidy: one row per run and kept step, the varied and fixed parameters
as columns, with ``seed``, ``replication`` and ``run_key``. ``summary.csv`` gives, per
point and per-run value (the final value of each kept measure and each derived measure),
the number of runs, mean, standard deviation and the 95 % t-interval of the mean across
replications. ``report.md`` shows the figures and the summary, and records the spec, the
package versions and the git revision.
"""

from __future__ import annotations

import json
import math
import platform
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..core.params import cell_count
from .derived import identity_columns, mean_interval, run_values
from .figures import draw_figures
from .runner import BatchResult, PlannedRun, plan
from .spec import ExperimentSpec
from .store import RunStore

PACKAGES = (
    "dataspace-abm",
    "mesa",
    "numpy",
    "numba",
    "pandas",
    "pyarrow",
    "scipy",
    "SALib",
    "dask",
    "distributed",
    "matplotlib",
    "seaborn",
)
MAX_TABLE_ROWS = 60


@dataclass
class BatchOutputs:
    """What the end of a batch wrote, and the tables behind it."""

    runs: pd.DataFrame
    per_run: pd.DataFrame
    summary: pd.DataFrame
    failures: pd.DataFrame
    figures: list[Path] = field(default_factory=list)
    indices: pd.DataFrame | None = None


def _cell(value: Any) -> Any:
    return json.dumps(value) if isinstance(value, list) else value


def _identity(spec: ExperimentSpec, run: PlannedRun) -> dict[str, Any]:
    row: dict[str, Any] = {"run_key": run.task.key, "point": run.point.index}
    if spec.labelled:
        row["label"] = run.point.label
        row.update(run.point.groups)
    names = [*spec.varied, *(k for k in spec.fixed if k not in spec.varied)]
    row.update({name: _cell(run.resolved[name]) for name in names})
    row.update(n_cells=cell_count(run.resolved), replication=run.replication, seed=run.task.seed)
    return row


def collect_runs(spec: ExperimentSpec, store: RunStore) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The tidy table of every finished run, and one row per failed run with its error."""
    planned = plan(spec)
    done = store.done()
    frames, failed = [], []
    errors = store.failed(run.task.key for run in planned)
    for run in planned:
        ident = _identity(spec, run)
        if run.task.key in done:
            table = store.read(run.task.key)
            frames.append(table.assign(**{k: [v] * len(table) for k, v in ident.items()}))
        elif run.task.key in errors:
            record = errors[run.task.key]
            failed.append({**ident, "error": record["error"], "traceback": record["traceback"]})
    if not frames:
        return pd.DataFrame(), pd.DataFrame(failed)
    runs = pd.concat(frames, ignore_index=True)[[*ident, "step", *spec.measures]]
    runs = runs.sort_values(["point", "replication", "step"], ignore_index=True)
    return runs, pd.DataFrame(failed)


def summarize(spec: ExperimentSpec, per_run: pd.DataFrame) -> pd.DataFrame:
    """Mean, sd and 95 % interval across replications, per point and per-run value."""
    keys = [c for c in identity_columns(spec) if c not in ("run_key", "replication", "seed")]
    rows = []
    for _, g in per_run.groupby("point", sort=True):
        head = {c: g[c].iloc[0] for c in keys}
        for measure in spec.per_run_measures:
            x = g[measure].to_numpy(dtype=float)
            finite = x[np.isfinite(x)]
            low, high = mean_interval(finite)
            rows.append(
                {
                    **head,
                    "measure": measure,
                    "n": int(finite.size),
                    "missing": int(x.size - finite.size),
                    "mean": float(finite.mean()) if finite.size else math.nan,
                    "std": float(finite.std(ddof=1)) if finite.size > 1 else math.nan,
                    "ci95_low": low,
                    "ci95_high": high,
                }
            )
    return pd.DataFrame(rows)


def git_revision() -> str:
    """The git revision of the code (with ``-dirty`` if the work tree has changes)."""
    root = Path(__file__).resolve().parent

    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", "-C", str(root), *args], capture_output=True, text=True, check=True
        )
        return done.stdout.strip()

    try:
        rev = git("rev-parse", "--short=12", "HEAD")
        dirty = git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return rev + ("-dirty" if dirty else "")


def package_versions() -> dict[str, str]:
    """Installed versions of Python and the packages a batch depends on."""
    versions = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def fmt(value: Any) -> str:
    """A number in 3 significant digits (integers as they are), for tables."""
    if isinstance(value, float | np.floating):
        return "n/a" if not math.isfinite(value) else f"{value:.3g}"
    return str(value)


def markdown_table(frame: pd.DataFrame) -> str:
    """A DataFrame as a GitHub Markdown table."""
    lines = ["| " + " | ".join(map(str, frame.columns)) + " |"]
    lines.append("|" + "---|" * len(frame.columns))
    for row in frame.itertuples(index=False):
        lines.append("| " + " | ".join(fmt(v) for v in row) + " |")
    return "\n".join(lines)


def summary_table(spec: ExperimentSpec, summary: pd.DataFrame) -> pd.DataFrame:
    """The summary pivoted for reading: one row per point, ``mean [low, high]`` per value.

    Points are named by their label and swept values (or every varied parameter), and the
    columns are the derived measures (or, without any, the final kept measures).
    """
    names = ["label", *(s.name for s in spec.sweeps)] if spec.labelled else list(spec.varied)
    keys = [c for c in (*names, "n_cells") if c in summary.columns]
    shown = [d.name for d in spec.derived] or list(spec.measures)
    text = summary.assign(
        cell=[
            f"{fmt(m)} [{fmt(lo)}, {fmt(hi)}]" + (f" ({k} missing)" if k else "")
            for m, lo, hi, k in zip(
                summary["mean"],
                summary["ci95_low"],
                summary["ci95_high"],
                summary["missing"],
                strict=True,
            )
        ]
    )
    wide = text.pivot(index="point", columns="measure", values="cell")
    heads = summary.groupby("point")[keys].first()
    return heads.join(wide[shown]).reset_index(drop=True)


def indices_table(indices: pd.DataFrame) -> pd.DataFrame:
    """Sensitivity indices for reading: a row per parameter, ``value ± conf`` per index."""
    text = indices.assign(
        cell=[
            fmt(v) if not isinstance(c, float) or math.isnan(c) else f"{fmt(v)} ± {fmt(c)}"
            for v, c in zip(indices["value"], indices["conf"], strict=True)
        ],
        column=indices["output"] + " " + indices["index"],
    )
    rows = ["label", "parameter"] if (indices["label"] != "").any() else ["parameter"]
    wide = text.pivot_table(
        index=rows, columns="column", values="cell", aggfunc="first", sort=False
    )
    return wide.reset_index()


def write_report(
    spec: ExperimentSpec, out: Path, outputs: BatchOutputs, result: BatchResult | None
) -> Path:
    """Write ``out/report.md``: counts, figures, summary, indices, failures, provenance."""
    n_points, n_seeds = len(spec.points), len(spec.seeds)
    lines = [f"# Experiment `{spec.name}`", "", spec.description.strip(), ""]
    lines += [
        f"- design: {spec.design.kind}, {n_points} points x {n_seeds} replications "
        f"(seeds {spec.seeds[0]}..{spec.seeds[-1]}), {spec.steps} steps per run",
        f"- finished runs: {outputs.per_run.shape[0]}; failed runs: {len(outputs.failures)}",
    ]
    if result is not None:
        lines.append(
            f"- this batch: ran {result.ran}, skipped {result.skipped} already done, "
            f"wall time {result.seconds:.0f} s"
        )
    lines.append(f"- written {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, git {git_revision()}")
    lines += ["", "## Figures", ""]
    for path in outputs.figures:
        lines += [f"![{path.stem}](figures/{path.name})", ""]
    lines += ["## Summary", ""]
    lines.append(
        "Mean [95 % interval of the mean] across replications (n/a: no finite value);"
        " `summary.csv` has every kept measure, with n and the standard deviation."
    )
    lines.append("")
    if n_points <= MAX_TABLE_ROWS and not outputs.summary.empty:
        lines += [markdown_table(summary_table(spec, outputs.summary)), ""]
    else:
        lines += [f"({n_points} points: see `summary.csv`.)", ""]
    if outputs.indices is not None and not outputs.indices.empty:
        lines += ["## Sensitivity indices", ""]
        lines.append("Index ± the half-width of its 95 % confidence interval (SALib).")
        lines += ["", markdown_table(indices_table(outputs.indices)), ""]
    if not outputs.failures.empty:
        cols = ["run_key", "point", "replication", "seed", "error"]
        lines += ["## Failed runs", "", markdown_table(outputs.failures[cols]), ""]
    lines += ["## Spec", "", "```toml", spec.text.strip(), "```", "", "## Versions", ""]
    lines += [f"- {name} {version}" for name, version in package_versions().items()]
    path = out / "report.md"
    path.write_text("\n".join(lines) + "\n")
    return path


def write_outputs(spec: ExperimentSpec, out: Path, result: BatchResult | None) -> BatchOutputs:
    """Assemble the finished parts into the batch's tables, figures and report."""
    out = Path(out)
    runs, failures = collect_runs(spec, RunStore(out))
    if not runs.empty:
        runs.to_parquet(out / "runs.parquet", index=False)
    else:
        (out / "runs.parquet").unlink(missing_ok=True)
    per_run = run_values(spec, runs) if not runs.empty else pd.DataFrame()
    summary = summarize(spec, per_run) if not per_run.empty else pd.DataFrame()
    summary.to_csv(out / "summary.csv", index=False)
    if not failures.empty:
        failures.to_csv(out / "failures.csv", index=False)
    else:
        (out / "failures.csv").unlink(missing_ok=True)
    outputs = BatchOutputs(runs, per_run, summary, failures)
    if not per_run.empty:
        outputs.figures = draw_figures(spec, runs, per_run, out / "figures")
        if spec.design.kind in ("sobol", "morris"):
            from .sensitivity import analyze, plot_indices

            outputs.indices = analyze(spec, per_run)
            outputs.indices.to_csv(out / "sensitivity.csv", index=False)
            outputs.figures.append(plot_indices(spec, outputs.indices, out / "figures"))
    write_report(spec, out, outputs, result)
    return outputs
