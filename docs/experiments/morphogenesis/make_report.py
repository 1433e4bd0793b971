"""Re-run the morphogenesis report's runs: figures and summary.csv next to this file.

python docs/experiments/morphogenesis/make_report.py [--out DIR]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from dataspace_abm.scenarios.morphogenesis.figures import draw

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent)
    summary = draw(parser.parse_args().out)
    print(
        summary.groupby(["experiment", "log_prior"], dropna=False).agg(
            formed=("permutation", "mean"), form_error=("form_error", "median")
        )
    )
