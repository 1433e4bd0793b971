"""Re-run the morphogenesis report's runs: figures, summary.csv and against_paper.csv
next to this file.

python docs/experiments/morphogenesis/make_report.py [--out DIR]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from dataspace_abm.scenarios.morphogenesis.figures import against_paper, draw

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent)
    out = parser.parse_args().out
    summary = draw(out)
    print(
        summary.groupby(["experiment", "log_prior"], dropna=False).agg(
            formed=("permutation", "mean"), form_error=("form_error", "median")
        )
    )
    paper = against_paper(out)
    with pd.option_context("display.width", 200, "display.max_columns", 40):
        print(paper.groupby(["figure", "experiment"], sort=False).median(numeric_only=True).T)
