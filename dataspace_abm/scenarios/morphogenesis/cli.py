"""``dataspace-abm morphogenesis``: one ensemble assembles the form, optionally cut in half.

Prints what the run ends with (is it a permutation, how certain, the form's error in
spacings, free energy, bits, energy) and writes the per-step table as Parquet.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ...core.parameter import ParameterError
from ...core.params import parse_assignment
from .model import PARAMETERS, SIDES, MorphogenesisModel


def add_command(sub) -> None:
    """The ``morphogenesis`` subcommand's options."""
    cmd = sub.add_parser("morphogenesis", help="cells that infer their place in a form")
    cmd.add_argument("--steps", type=int, default=3000, help="steps in all (default 3000)")
    cmd.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    cmd.add_argument("--cut", choices=SIDES, help="cut the form in half; this half divides")
    cmd.add_argument("--cut-at", type=int, default=800, help="step of the cut (default 800)")
    cmd.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE", help="a model parameter"
    )
    cmd.add_argument("--out", type=Path, default=Path("results/morphogenesis"), help="folder")


def run(args: argparse.Namespace, prepare_out) -> int:
    """Check every option, then run, print the summary and write ``morphogenesis.parquet``."""
    if args.steps < 0:
        raise ParameterError("--steps", args.steps, "an integer in [0, inf)")
    if args.cut and not 0 <= args.cut_at <= args.steps:
        raise ParameterError("--cut-at", args.cut_at, f"an integer in [0, {args.steps}]")
    overrides = dict(parse_assignment(text, PARAMETERS) for text in args.set)
    model = MorphogenesisModel(**{**overrides, "seed": args.seed})
    prepare_out(args.out)
    model.run(args.cut_at if args.cut else args.steps)
    if args.cut:
        model.regenerate(args.cut)
        model.run(args.steps - args.cut_at)
    table = model.table
    table.to_parquet(args.out / "morphogenesis.parquet", index=False)
    last = table.iloc[-1]
    cut = f", cut at step {args.cut_at}, {args.cut} half divided" if args.cut else ""
    print(f"morphogenesis, seed {args.seed}, {args.steps} steps{cut}")
    print(f"  identities a permutation: {'yes' if model.is_permutation() else 'no'}")
    print(f"  least certainty: {last['certainty']:.3f}")
    print(f"  form error: {last['form_error'] / model.form.spacing:.3f} spacings")
    print(f"  free energy: {last['free_energy']:.4g}")
    print(f"  bits: {model.totals['bits']:.4g}; energy: {model.totals['energy']:.4g} J")
    print(f"per-step table written to {args.out}/morphogenesis.parquet")
    return 0
