"""Sensitivity designs: SALib recovers the dominant input of a toy spec; bad use is refused."""

import subprocess
import sys

import pandas as pd

from dataspace_abm.batch.report import write_outputs
from dataspace_abm.batch.runner import run_batch
from dataspace_abm.batch.spec import load_spec

# The energy of a short run is c_inf x (belief updates) + the same action energy at every
# point (common random numbers); c_bit adds a trace and the temperature nothing at all.
TOY = """
[experiment]
name = "toy"
[fixed]
n_organizations = 2
organs_per_organization = 2
cells_per_organ = 2
[design]
kind = "{kind}"
samples = 16
[sweep]
c_inf = {{ low = 0.0, high = 1.0 }}
c_bit = {{ low = 0.0, high = 1e-6 }}
temperature = {{ low = 100.0, high = 400.0 }}
[run]
steps = 3
[output]
measures = ["energy_cumulative"]
keep = "final"
"""


def run_toy(tmp_path, kind):
    path = tmp_path / f"{kind}.toml"
    path.write_text(TOY.format(kind=kind))
    spec = load_spec(path)
    out = tmp_path / kind
    written = write_outputs(spec, out, run_batch(spec, out, workers=1, progress=False))
    return out, written


def test_sobol_finds_the_dominant_input(tmp_path):
    out, written = run_toy(tmp_path, "sobol")
    assert len(written.per_run) == 16 * (3 + 2)
    table = pd.read_csv(out / "sensitivity.csv")
    total = table[table["index"] == "ST"].set_index("parameter")["value"]
    first = table[table["index"] == "S1"].set_index("parameter")["value"]
    assert total.idxmax() == "c_inf" and first["c_inf"] > 0.9
    assert abs(total["temperature"]) < 0.05
    png = out / "figures" / "sensitivity_indices.png"
    assert png.stat().st_size > 5_000
    assert "## Sensitivity indices" in (out / "report.md").read_text()


def test_morris_finds_the_dominant_input(tmp_path):
    out, written = run_toy(tmp_path, "morris")
    assert len(written.per_run) == 16 * (3 + 1)
    table = pd.read_csv(out / "sensitivity.csv")
    mu_star = table[table["index"] == "mu_star"].set_index("parameter")["value"]
    assert mu_star.idxmax() == "c_inf"


def test_sensitivity_command_refuses_a_grid_spec(tmp_path):
    path = tmp_path / "grid.toml"
    path.write_text("[run]\nsteps = 2\n")
    proc = subprocess.run(
        [sys.executable, "-m", "dataspace_abm.cli", "sensitivity", str(path)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1 and "sobol or morris" in proc.stderr
