"""Command line: ``dataspace-abm run`` compares the control regimes on one configuration."""

from __future__ import annotations

import argparse
import sys
import tomllib
from pathlib import Path
from typing import Any

import pandas as pd

from .batch.cli import add_commands, run_experiment
from .classroom import cli as classroom
from .core import params as P
from .core.metrics import time_to_target
from .core.model import HolarchyModel
from .scenarios.morphogenesis import cli as morphogenesis

RUN_DEFAULTS = {"modes": list(P.MODES), "steps": 600, "seed": 1}


class UsageError(ValueError):
    """A command-line value outside its allowed range."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dataspace-abm", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run the control regimes and compare them")
    run.add_argument(
        "--mode", choices=(*P.MODES, "all"), help="the regime to run (default: all four)"
    )
    run.add_argument("--steps", type=int, help=f"steps per run (default {RUN_DEFAULTS['steps']})")
    run.add_argument("--seed", type=int, help=f"random seed (default {RUN_DEFAULTS['seed']})")
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
    viz.add_argument("--page", default="holarchy", help="holarchy (default) or morphogenesis")
    bench = sub.add_parser("bench", help="time build and steps from 10^3 to 10^6 cells")
    bench.add_argument("--sizes", default="1e3,1e4,1e5,1e6", help="cell counts, comma-separated")
    bench.add_argument("--modes", default=",".join(P.MODES), help="regimes, comma-separated")
    bench.add_argument(
        "--landscape-sizes",
        default="1e7",
        help="larger cell counts run in landscape only, comma-separated ('' for none)",
    )
    bench.add_argument("--steps", type=int, default=5, help="steps per repetition")
    bench.add_argument("--repeats", type=int, default=5, help="repetitions (median taken)")
    bench.add_argument("--agents-up-to", type=float, default=1e5, help="per-agent engine limit")
    bench.add_argument(
        "--peers-up-to",
        type=float,
        default=1e5,
        help="cells up to which the landscape rule written as a Mesa user would runs too"
        " (not with --set: it has the defaults only)",
    )
    bench.add_argument("--out", type=Path, default=Path("results/bench.json"), help="JSON file")
    bench.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE", help="a model parameter"
    )
    page = sub.add_parser("page-bench", help="steps a second while Play runs, in chromium")
    page.add_argument("--sessions", default="1,5", help="browser sessions at once, comma-separated")
    page.add_argument("--seconds", type=float, default=10.0, help="measuring window per count")
    page.add_argument("--out", type=Path, default=Path("results/page-bench.json"), help="JSON file")
    add_commands(sub)  # experiment, sensitivity
    morphogenesis.add_command(sub)
    classroom.add_commands(sub)
    return parser


def page_bench(args: argparse.Namespace) -> int:
    """Measure the page's steps a second for each session count; print and write them."""
    problem = f"--sessions {args.sessions!r}: allowed integers >= 1, comma-separated"
    try:
        sessions = [int(s) for s in args.sessions.split(",")]
    except ValueError:
        raise UsageError(problem) from None
    if min(sessions) < 1:
        raise UsageError(problem)
    if not args.seconds > 0:
        raise UsageError(f"--seconds = {args.seconds} is invalid: allowed a number > 0")
    from .viz import bench as page

    if not Path(page.CHROMIUM).exists():
        raise UsageError(f"{page.CHROMIUM} is missing: install Debian's chromium (make test does)")
    page.run(sessions, args.seconds, args.out)
    return 0


def bench(args: argparse.Namespace) -> int:
    """Run the benchmark, print its table and write its JSON."""
    from .benchmark import format_table, run_benchmark, write_json

    try:
        sizes = [int(float(s)) for s in args.sizes.split(",")]
        large = [int(float(s)) for s in args.landscape_sizes.split(",") if s.strip()]
    except ValueError as exc:
        raise UsageError(
            f"--sizes = {args.sizes!r} or --landscape-sizes = {args.landscape_sizes!r} is"
            " invalid: allowed numbers like 1e3,1e4"
        ) from exc
    modes = args.modes.split(",")
    for mode in modes:
        P.check_value("mode", mode)
    if min(sizes) < 100 or args.steps < 1 or args.repeats < 1:
        raise UsageError("--sizes >= 100 cells, --steps >= 1 and --repeats >= 1 are required")
    settings = dict(P.parse_assignment(item) for item in args.set)
    for mode in modes:  # every setting checked before any run
        P.resolve({**settings, "mode": mode})
    result = run_benchmark(
        sizes, modes, args.steps, args.repeats, int(args.agents_up_to), settings=settings,
        peers_up_to=int(args.peers_up_to), landscape_sizes=large,
    )  # fmt: skip
    result["settings"] = settings
    print(format_table(result))
    write_json(result, args.out)
    print(f"\nwritten to {args.out}")
    return 0


def comparison_row(mode: str, table: pd.DataFrame) -> dict[str, Any]:
    """One row of the comparison: errors at the end, energy and bits over the whole run."""
    tail = table.iloc[-max(1, len(table) // 10) :]  # the last tenth: steady state, less noise
    return {
        "mode": mode,
        "tracking_error": tail["tracking_error"].mean(),
        "niche_error": tail["niche_error"].mean(),
        "optimality_gap": tail["optimality_gap"].mean(),
        "time_to_target": time_to_target(table["step"], table["tracking_error"]),
        "energy_action": table["energy_action"].sum(),
        "energy_inference": table["energy_inference"].sum(),
        "energy_communication": table["energy_communication"].sum(),
        "energy_central": table["energy_central"].sum(),
        "energy_total": table["energy_total"].sum(),
        "bits_total": table["bits_total"].sum(),
        "peak_node_load": table["peak_node_load"].max(),
    }


def _read_config(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"--config {path}: {' '.join(str(exc).split())}") from exc


def _settings(args: argparse.Namespace) -> tuple[dict[str, Any], dict[str, Any]]:
    """The model parameters and the run's settings (modes, steps, seed), each from, in
    rising order of precedence: the defaults, ``--config``, ``--set``, the flags."""
    overrides: dict[str, Any] = {}
    run_keys = dict(RUN_DEFAULTS)
    if args.config is not None:
        doc = _read_config(args.config)
        section = doc.get("run", {})
        run_keys.update({k: section[k] for k in RUN_DEFAULTS if k in section})
        overrides.update({k: v for k, v in P.flatten(doc).items() if k not in RUN_DEFAULTS})
    for item in args.set:
        key, value = P.parse_assignment(item)
        overrides[key] = value
    if "mode" in overrides:  # --set mode=X picks the regime, as --mode X does
        mode = P.check_value("mode", overrides.pop("mode"))
        if args.mode not in (None, "all", mode):
            raise UsageError(f"--set mode={mode} contradicts --mode {args.mode}: give one")
        run_keys["modes"] = [mode]
    if args.mode is not None:
        run_keys["modes"] = list(P.MODES) if args.mode == "all" else [args.mode]
    for key in ("steps", "seed"):
        if getattr(args, key) is not None:
            run_keys[key] = getattr(args, key)
    return overrides, _checked_run_keys(run_keys)


def _checked_run_keys(run_keys: dict[str, Any]) -> dict[str, Any]:
    modes, steps, seed = run_keys["modes"], run_keys["steps"], run_keys["seed"]
    if not isinstance(modes, list) or not modes or any(m not in P.MODES for m in modes):
        raise UsageError(f"modes = {modes!r} is invalid: allowed a list of {', '.join(P.MODES)}")
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise UsageError(f"--steps = {steps!r} is invalid: allowed an integer >= 1")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise UsageError(f"--seed = {seed!r} is invalid: allowed an integer >= 0")
    return run_keys


def prepare_out(out: Path, option: str = "--out") -> None:
    """Create the output folder, or a one-line :class:`UsageError` saying why it cannot be."""
    if out.exists() and not out.is_dir():
        raise UsageError(f"{option} {out}: is a file, not a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise UsageError(f"{option} {out}: cannot write there ({exc.strerror})") from None


def _resolve_all(modes: list[str], overrides: dict[str, Any]) -> list[dict[str, Any]]:
    """Every mode's parameters, all checked before any run."""
    resolved = []
    for mode in modes:
        try:
            resolved.append(P.resolve({**overrides, "mode": mode}))
        except P.ParameterError as exc:
            if len(modes) > 1 and mode == "flat":
                raise UsageError(f"{exc} (--mode runs one regime at a time)") from None
            raise
    return resolved


def run(args: argparse.Namespace) -> int:
    overrides, run_keys = _settings(args)
    modes, steps, seed = run_keys["modes"], run_keys["steps"], run_keys["seed"]
    resolved = _resolve_all(modes, overrides)
    prepare_out(args.out)
    rows = []
    for mode, params in zip(modes, resolved, strict=True):
        model = HolarchyModel(rng=seed, **params)
        table = model.run(steps)
        table.to_parquet(args.out / f"{mode}.parquet", index=False)
        rows.append(comparison_row(mode, table))
    config = dict(resolved[0])
    config.pop("mode")
    (args.out / "config.toml").write_text(P.to_toml(config, run_keys))
    summary = pd.DataFrame(rows).set_index("mode")
    with pd.option_context("display.width", 200, "display.float_format", "{:.4g}".format):
        print(summary.to_string())
    print(f"\nper-step tables and config.toml written to {args.out}/")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "viz":
        from .viz.serve import serve  # Solara loads only for the page

        return serve(args.host, args.port, args.page)
    if args.command in ("experiment", "sensitivity"):
        return run_experiment(args)
    try:
        if args.command == "page-bench":
            return page_bench(args)
        if args.command == "morphogenesis":
            return morphogenesis.run(args, prepare_out)
        if args.command in ("classroom", "classroom-bench"):
            return classroom.run(args)
        return bench(args) if args.command == "bench" else run(args)
    except (P.ParameterError, UsageError) as exc:
        print(f"dataspace-abm: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
