"""``dataspace-abm experiment`` and ``dataspace-abm sensitivity``: run a spec, write a report.

Bad input (a spec that does not validate, an unreachable scheduler, a bad option) is one
line on stderr and exit code 2, before any run. A batch with failed runs still writes
everything and exits with 1; an interrupted batch keeps its finished runs (``--resume``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from .experiment_spec import SpecError, load_spec
from .runner import RunnerError, connect, run_batch

SENSITIVITY_DESIGNS = ("sobol", "morris")


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
            help="seconds to wait for the scheduler and a first worker (default 10)",
        )
        cmd.add_argument("--out", type=Path, help="output folder (default results/NAME)")
        cmd.add_argument(
            "--resume", action="store_true", help="keep finished runs in --out, run the rest"
        )
        cmd.add_argument("--no-progress", action="store_true", help="no progress bar")


def _error(message: str) -> int:
    print(f"dataspace-abm: error: {' '.join(message.split())}", file=sys.stderr)
    return 2


def run_experiment(args: argparse.Namespace) -> int:
    """Validate, connect, run the batch, write the outputs; return the exit code."""
    from .report import write_outputs  # plotting libraries load only when a batch runs

    if args.workers is not None and args.workers < 1:
        return _error(f"--workers = {args.workers} is invalid: allowed an integer >= 1")
    if args.workers is not None and args.scheduler:
        return _error("--workers applies to the local pool; the scheduler's cluster sizes Dask")
    try:
        spec = load_spec(args.spec)
    except SpecError as exc:
        return _error(str(exc))
    if args.command == "sensitivity" and spec.design.kind not in SENSITIVITY_DESIGNS:
        return _error(f"{args.spec}: design.kind: 'sensitivity' needs sobol or morris")
    client = None
    if args.scheduler:
        try:
            client = connect(args.scheduler, args.connect_timeout)
        except RunnerError as exc:
            return _error(str(exc))
    out = args.out or Path("results") / spec.name
    out.mkdir(parents=True, exist_ok=True)
    (out / "spec.toml").write_text(spec.text)
    try:
        result = run_batch(
            spec,
            out,
            workers=args.workers,
            client=client,
            resume=args.resume,
            progress=not args.no_progress,
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
