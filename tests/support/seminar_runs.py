"""Run the exercises of docs/seminar.md with the settings written in the guide itself.

An exercise is a section ``## Exercise N. Title``. Its settings are:

- ``text`` blocks with lines ``run X: Label = value; Label = value; play to step S``: a run
  on the browser page, controls named by their labels on the page (``vizmodel.CONTROLS``),
  every other control at the value the page opens with;
- ``sh`` blocks with ``dataspace-abm ...`` lines: command lines, run in the current folder;
- ``python`` blocks: snippets that read what the command lines wrote.

``tests/test_seminar.py`` asserts each exercise's expected observation on these runs. The
runs use the guide's seed (1, the default) unless the environment variable
``SEMINAR_SEED`` names another one: ``SEMINAR_SEED=3 pytest tests/test_seminar.py`` checks
that the observations hold for seed 3 too.
"""

from __future__ import annotations

import contextlib
import io
import os
import shlex
from pathlib import Path
from typing import Any

import pandas as pd

from dataspace_abm import cli
from dataspace_abm.viz.model import VizModel
from dataspace_abm.viz.presets import GUIDE, PARTS, blocks, exercises, page_settings

__all__ = ["GUIDE", "PARTS", "blocks", "command_runs", "commands", "exercises", "page_runs"]
__all__ += ["page_settings"]


def _seed() -> str | None:
    return os.environ.get("SEMINAR_SEED") or None


def page_runs(number: int) -> dict[str, pd.DataFrame]:
    """Run exercise ``number``'s page runs; returns the per-step table of each run."""
    tables, seed = {}, _seed()
    for name, (values, steps) in page_settings(exercises()[number]).items():
        if seed is not None:
            values = {**values, "seed": seed}
        tables[name] = VizModel(**values).run(steps).set_index("step")
    return tables


def commands(section: str) -> list[list[str]]:
    """The ``dataspace-abm`` command lines of a section, as argument lists."""
    found = []
    for block in blocks(section, "sh"):
        for line in block.splitlines():
            words = shlex.split(line, comments=True)
            if words and words[0] == "dataspace-abm":
                found.append(words[1:])
    return found


def command_runs(number: int) -> dict[str, dict[str, Any]]:
    """Run exercise ``number``'s command lines in the current folder.

    Returns, per ``--out`` folder, what was printed (``"printed"``) and the per-step table
    of each mode that ran (by mode name); then runs the exercise's Python snippets and
    keeps what they printed under ``"snippets"``.
    """
    out: dict[str, dict[str, Any]] = {}
    seed = _seed()
    for argv in commands(exercises()[number]):
        if seed is not None:
            argv = [*argv, "--seed", seed]
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            assert cli.main(argv) == 0, argv
        folder = argv[argv.index("--out") + 1]
        mode = argv[argv.index("--mode") + 1]
        entry = out.setdefault(folder, {"printed": ""})
        entry["printed"] += printed.getvalue()
        entry[mode] = pd.read_parquet(Path(folder) / f"{mode}.parquet").set_index("step")
    snippets = io.StringIO()
    for code in blocks(exercises()[number], "python"):
        with contextlib.redirect_stdout(snippets):
            exec(compile(code, f"seminar exercise {number}", "exec"), {})
    out["snippets"] = {"printed": snippets.getvalue()}
    return out
