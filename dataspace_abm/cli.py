"""Command line: ``dataspace-abm run`` compares the control regimes on one configuration."""

from __future__ import annotations

import argparse
import sys
import tomllib
from pathlib import Path
from typing import Any

import pandas as pd

from . import params as P
from .experiment_cli import add_commands, run_experiment
from .model import HolarchyModel

RUN_KEYS = ("steps", "seed", "modes")


class UsageError(ValueError):
    """A command-line value outside its allowed range."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dataspace-abm", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run the control regimes and compare them")
    run.add_argument("--mode", default="all", choices=(*P.MODES, "all"))
    run.add_argument("--steps", type=int, default=600, help="steps per run (default 600)")
    run.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    run.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="set a model parameter, named as in config.toml (repeatable)",
    )
    run.add_argument("--config", type=Path, help="a config.toml to start from")
    run.add_argument("--out", type=Path, default=Path("results"), help="output folder")
    viz = sub.add_parser("viz", help="serve the browser page (Mesa SolaraViz), offline")
    viz.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    viz.add_argument("--port", type=int, default=8765, help="port (default 8765)")
    bench = sub.add_parser("bench", help="time build and steps from 10^3 to 10^6 cells")
    bench.add_argument("--sizes", default="1e3,1e4,1e5,1e6", help="cell counts, comma-separated")
    bench.add_argument("--modes", default=",".join(P.MODES), help="regimes, comma-separated")
    bench.add_argument("--steps", type=int, default=5, help="steps per repetition")
    bench.add_argument("--repeats", type=int, default=5, help="repetitions (median taken)")
    bench.add_argument("--agents-up-to", type=float, default=1e5, help="per-agent engine limit")
    bench.add_argument("--out", type=Path, default=Path("results/bench.json"), help="JSON file")
    add_commands(sub)  # experiment, sensitivity
    return parser


def bench(args: argparse.Namespace) -> int:
    """Run the benchmark, print its table and write its JSON."""
    from .benchmark import format_table, run_benchmark, write_json

    try:
        sizes = [int(float(s)) for s in args.sizes.split(",")]
    except ValueError as exc:
        raise UsageError(
            f"--sizes = {args.sizes!r} is invalid: allowed numbers like 1e3,1e4"
        ) from exc
    modes = args.modes.split(",")
    for mode in modes:
        P.check_value("mode", mode)
    if min(sizes) < 100 or args.steps < 1 or args.repeats < 1:
        raise UsageError("--sizes >= 100 cells, --steps >= 1 and --repeats >= 1 are required")
    result = run_benchmark(sizes, modes, args.steps, args.repeats, int(args.agents_up_to))
    print(format_table(result))
    write_json(result, args.out)
    print(f"\nwritten to {args.out}")
    return 0


def summarize(mode: str, table: pd.DataFrame) -> dict[str, Any]:
    """One row of the comparison: errors at the end, energy and bits over the whole run."""
    tail = table.iloc[-max(1, len(table) // 10) :]  # the last tenth: steady state, less noise
    return {
        "mode": mode,
        "tracking_error": tail["tracking_error"].mean(),
        "niche_error": tail["niche_error"].mean(),
        "energy_action": table["energy_action"].sum(),
        "energy_inference": table["energy_inference"].sum(),
        "energy_communication": table["energy_communication"].sum(),
        "energy_central": table["energy_central"].sum(),
        "energy_total": table["energy_total"].sum(),
        "bits_total": table["bits_total"].sum(),
        "peak_node_load": table["peak_node_load"].max(),
    }


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    overrides: dict[str, Any] = {}
    if args.config is not None:
        try:
            doc = P.flatten(tomllib.loads(args.config.read_text()))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise UsageError(f"--config {args.config}: {exc}") from exc
        overrides.update({k: v for k, v in doc.items() if k not in RUN_KEYS})
    for item in args.set:
        key, value = P.parse_assignment(item)
        overrides[key] = value
    return overrides


def run(args: argparse.Namespace) -> int:
    if args.steps < 1:
        raise UsageError(f"--steps = {args.steps} is invalid: allowed an integer >= 1")
    modes = list(P.MODES) if args.mode == "all" else [args.mode]
    overrides = _overrides(args)
    resolved = [P.resolve({**overrides, "mode": mode}) for mode in modes]  # all checked first
    args.out.mkdir(parents=True, exist_ok=True)
    rows = []
    for mode, params in zip(modes, resolved, strict=True):
        model = HolarchyModel(rng=args.seed, **params)
        table = model.run(args.steps)
        table.to_parquet(args.out / f"{mode}.parquet", index=False)
        rows.append(summarize(mode, table))
    config = dict(resolved[0])
    config.pop("mode")
    run_keys = {"modes": modes, "steps": args.steps, "seed": args.seed}
    (args.out / "config.toml").write_text(P.to_toml(config, run_keys))
    summary = pd.DataFrame(rows).set_index("mode")
    with pd.option_context("display.width", 200, "display.float_format", "{:.4g}".format):
        print(summary.to_string())
    print(f"\nper-step tables and config.toml written to {args.out}/")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "viz":
        from .vizserve import serve  # Solara loads only for the page

        return serve(args.host, args.port)
    if args.command in ("experiment", "sensitivity"):
        return run_experiment(args)
    try:
        return bench(args) if args.command == "bench" else run(args)
    except (P.ParameterError, UsageError) as exc:
        print(f"dataspace-abm: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
