"""``dataspace-abm experiment`` and ``dataspace-abm sensitivity``: run a spec, write a report.

Bad input (a spec that does not validate, an unreachable scheduler, a bad option, an
``--out`` that cannot be a folder, ``--resume`` into another spec's results) is one line on
stderr and exit code 2, before any run. A batch with failed runs still writes everything
and exits with 1; an interrupted batch keeps its finished runs (``--resume``), and so does
a Dask batch that stops because no worker is left (exit code 2).
"""

from __future__ import annotations

import argparse
import math
import sys
import tomllib
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from .runner import (
    WORKER_DEADLINE,
    WORKER_WARNING,
    NoWorkersError,
    RunnerError,
    connect,
    run_batch,
)
from .spec import ExperimentSpec, SpecError, load_spec

SENSITIVITY_DESIGNS = ("sobol", "morris")
SECONDS = ("connect_timeout", "worker_warning", "worker_deadline")  # each finite and > 0


def add_commands(sub: Any) -> None:
    """Add the ``experiment`` and ``sensitivity`` subcommands to the CLI's subparsers."""
    for name, text in (
        ("experiment", "run an experiment spec (a batch of runs) and write its report"),
        ("sensitivity", "run a spec with a sobol or morris design and its SALib indices"),
    ):
        cmd = sub.add_parser(name, help=text, description=text)
        cmd.add_argument("spec", type=Path, help="the experiment spec (TOML)")
        cmd.add_argument("--workers", type=int, help="local worker processes (default: all cores)")
        cmd.add_argument("--scheduler", help="a Dask scheduler address, e.g. tcp://host:8786")
        cmd.add_argument(
            "--connect-timeout",
            type=float,
            default=10.0,
            metavar="SECONDS",
            help="seconds to wait for the scheduler and a first worker (default 10)",
        )
        cmd.add_argument(
            "--worker-warning",
            type=float,
            default=WORKER_WARNING,
            metavar="SECONDS",
            help=f"on Dask, warn after this long without any worker (default {WORKER_WARNING:g})",
        )
        cmd.add_argument(
            "--worker-deadline",
            type=float,
            default=WORKER_DEADLINE,
            metavar="SECONDS",
            help="on Dask, stop after this long without any worker, keeping the finished "
            f"runs for --resume (exit code 2; default {WORKER_DEADLINE:g})",
        )
        cmd.add_argument(
            "--out",
            type=Path,
            help="output folder (default results/NAME); without --resume, the runs "
            "already in it are removed first, whichever spec they belong to",
        )
        cmd.add_argument(
            "--resume",
            action="store_true",
            help="keep finished runs in --out, run the rest; refused if --out holds "
            "another spec's runs (see --overwrite)",
        )
        cmd.add_argument(
            "--overwrite",
            action="store_true",
            help="with --resume: if --out holds another spec's runs, remove them and run "
            "this spec from the start",
        )
        cmd.add_argument("--no-progress", action="store_true", help="no progress bar")


def _error(message: str) -> int:
    print(f"dataspace-abm: error: {' '.join(message.split())}", file=sys.stderr)
    return 2


def _warn(message: str) -> None:
    tqdm.write(f"dataspace-abm: warning: {' '.join(message.split())}", file=sys.stderr)


def _check_out(out: Path) -> str | None:
    """Why ``out`` cannot be the output folder (checked without creating anything)."""
    if out.exists() and not out.is_dir():
        return f"--out {out}: is a file, not a folder"
    for parent in out.parents:
        if parent.exists():
            if not parent.is_dir():
                return f"--out {out}: cannot create: {parent} is a file, not a folder"
            break
    return None


def _recorded_name(doc: dict[str, Any]) -> str:
    experiment = doc.get("experiment")
    name = experiment.get("name") if isinstance(experiment, dict) else None
    return repr(name) if isinstance(name, str) else "without a name"


def _other_spec(out: Path, spec: ExperimentSpec, path: Path) -> str | None:
    """Why ``--resume`` must not continue in ``out``: it holds another spec's runs."""
    recorded = out / "spec.toml"
    if not recorded.exists():
        return None  # nothing recorded to compare with: resume as before
    try:
        text = recorded.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        return f"--resume: cannot read {recorded}: {getattr(exc, 'strerror', None) or exc}"
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        doc = None
    if doc == tomllib.loads(spec.text):  # the same spec, comments and layout aside
        return None
    held_name = _recorded_name(doc) if doc is not None else None
    if held_name == repr(spec.name):  # the same experiment, extended or changed
        _warn(
            f"--resume: the spec differs from {recorded}; its runs that the new spec still "
            "plans are kept, the others are not used"
        )
        return None
    held = f"{held_name} ({recorded})" if held_name is not None else f"({recorded})"
    return (
        f"--resume: {out} holds the runs of another spec {held}, not of "
        f"{spec.name!r} ({path}); add --overwrite to replace them, or choose another --out"
    )


def run_experiment(args: argparse.Namespace) -> int:
    """Validate, connect, run the batch, write the outputs; return the exit code."""
    from .report import write_outputs  # plotting libraries load only when a batch runs

    if args.workers is not None and args.workers < 1:
        return _error(f"--workers = {args.workers} is invalid: allowed an integer >= 1")
    if args.workers is not None and args.scheduler:
        return _error("--workers applies to the local pool; the scheduler's cluster sizes Dask")
    for key in SECONDS:
        value = getattr(args, key)
        if not (math.isfinite(value) and value > 0):
            option = "--" + key.replace("_", "-")
            return _error(
                f"{option} = {value:g} is invalid: allowed a finite number of seconds > 0"
            )
    try:
        spec = load_spec(args.spec)
    except SpecError as exc:
        return _error(str(exc))
    if args.command == "sensitivity" and spec.design.kind not in SENSITIVITY_DESIGNS:
        return _error(f"{args.spec}: design.kind: 'sensitivity' needs sobol or morris")
    out = args.out or Path("results") / spec.name
    problem = _check_out(out)
    resume = args.resume
    if problem is None and resume:
        problem = _other_spec(out, spec, args.spec)
        if problem is not None and args.overwrite:
            problem, resume = None, False  # the other spec's parts and failures go
    if problem is not None:
        return _error(problem)
    client = None
    if args.scheduler:
        try:
            client = connect(args.scheduler, args.connect_timeout)
        except RunnerError as exc:
            return _error(str(exc))
    try:
        try:
            out.mkdir(parents=True, exist_ok=True)
            (out / "spec.toml").write_text(spec.text)
        except OSError as exc:
            return _error(f"--out {out}: cannot create: {exc.strerror or exc}")
        result = run_batch(
            spec,
            out,
            workers=args.workers,
            client=client,
            resume=resume,
            progress=not args.no_progress,
            worker_warning=args.worker_warning,
            worker_deadline=args.worker_deadline,
            warn=_warn,
        )
    except NoWorkersError as exc:
        return _error(
            f"--scheduler {args.scheduler}: no Dask worker for {exc.seconds:g} s "
            f"(--worker-deadline); {exc.kept} of {exc.total} runs are kept in {out}/parts; "
            "--resume continues"
        )
    except KeyboardInterrupt:
        print(f"interrupted: finished runs are kept in {out}/parts; --resume continues")
        return 130
    finally:
        if client is not None:
            client.close()
    write_outputs(spec, out, result)
    print(
        f"{result.total} runs: {result.skipped} already done, {result.ran} run, "
        f"{result.failed} failed, {result.seconds:.1f} s; report in {out}/report.md"
    )
    return 1 if result.failed else 0
