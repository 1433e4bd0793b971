"""``dataspace-abm classroom`` (serve one shared model) and ``classroom-bench``."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..core.parameter import ParameterError


def add_commands(sub) -> None:
    """The classroom's subcommands and their options."""
    cmd = sub.add_parser("classroom", help="one shared model: students steer organizations")
    cmd.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    cmd.add_argument("--port", type=int, default=8765, help="port (default 8765)")
    cmd.add_argument("--seed", type=int, default=1, help="the rounds' seed (default 1)")
    cmd.add_argument(
        "--organizations", type=int, default=30, help="organizations, one per student (default 30)"
    )
    cmd.add_argument("--teacher-key", help="the key of the teacher's page (default: random)")
    bench = sub.add_parser("classroom-bench", help="steps a second with N students joined")
    bench.add_argument("--students", default="0,30", help="student counts, comma-separated")
    bench.add_argument("--seconds", type=float, default=10.0, help="measuring window per count")
    bench.add_argument("--rate", type=float, default=5.0, help="the rate the teacher sets")
    bench.add_argument("--browsers", type=int, default=0, help="of the students, in chromium")
    bench.add_argument(
        "--out", type=Path, default=Path("results/classroom-bench.json"), help="JSON file"
    )


def check(args: argparse.Namespace) -> None:
    """Every option in range before anything starts."""
    if args.command == "classroom":
        if not 1 <= args.port <= 65535:
            raise ParameterError("--port", args.port, "an integer in [1, 65535]")
        if not 1 <= args.organizations <= 200:
            raise ParameterError("--organizations", args.organizations, "an integer in [1, 200]")
        return
    try:
        counts = [int(c) for c in args.students.split(",") if c.strip()]
    except ValueError:
        counts = []
    if not counts or any(not 0 <= c <= 200 for c in counts):
        raise ParameterError("--students", args.students, "integers in [0, 200], comma-separated")
    if not 0.5 <= args.seconds <= 3600:
        raise ParameterError("--seconds", args.seconds, "a number in [0.5, 3600]")
    if not 0.1 <= args.rate <= 20:
        raise ParameterError("--rate", args.rate, "a number in [0.1, 20]")
    if not 0 <= args.browsers <= min(counts):
        raise ParameterError("--browsers", args.browsers, f"an integer in [0, {min(counts)}]")


def run(args: argparse.Namespace) -> int:
    check(args)
    if args.command == "classroom":
        from .server import serve

        serve(args.host, args.port, args.seed, args.organizations, args.teacher_key)
        return 0
    from .bench import main

    return main(args)
