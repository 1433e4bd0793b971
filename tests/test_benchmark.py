"""The benchmark's output structure (never its timings), and memory that stays flat."""

import json
import tracemalloc

import numpy as np

from dataspace_abm import HolarchyModel
from dataspace_abm.benchmark import format_table, scaling_exponent
from dataspace_abm.cli import main


def test_quick_benchmark_reports_every_figure(tmp_path, capsys):
    out = tmp_path / "bench.json"
    code = main(
        [
            "bench",
            "--sizes",
            "200,400",
            "--modes",
            "landscape,command",
            "--steps",
            "1",
            "--repeats",
            "1",
            "--agents-up-to",
            "200",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    result = json.loads(out.read_text())
    rows = result["rows"]
    assert [(r["cells"], r["mode"], r["engine"]) for r in rows] == [
        (200, "landscape", "vectorized"),
        (200, "landscape", "agents"),
        (200, "command", "vectorized"),
        (200, "command", "agents"),
        (400, "landscape", "vectorized"),
        (400, "command", "vectorized"),
    ]
    for row in rows:
        assert row["step_s"] > 0 and row["build_s"] > 0 and row["peak_rss_mb"] > 0
        assert 0 <= row["collection_share"] <= 1
        assert np.isclose(row["cell_steps_per_s"], row["cells"] / row["step_s"])
    assert rows[0]["speedup_over_agents"] > 0 and "speedup_over_agents" not in rows[4]
    assert rows[0]["bandwidth_share"] > 0 and rows[2]["bandwidth_share"] is None
    assert result["memory_bandwidth_gb_s"] > 0 and result["bytes_per_cell_step"] > 0
    assert set(result["scaling_exponents"]) == {"landscape", "command"}
    printed = capsys.readouterr().out
    assert "cell-steps/s" in printed and "scaling exponent" in printed


def test_benchmark_settings_reach_every_run_and_are_checked_first(tmp_path, capsys):
    out = tmp_path / "b.json"
    args = ["bench", "--sizes", "200", "--modes", "landscape", "--steps", "1", "--repeats", "1"]
    args += ["--agents-up-to", "0", "--out", str(out)]
    assert main([*args, "--set", "cell_rule=gradient", "--set", "landscape_parts=well"]) == 0
    assert json.loads(out.read_text())["settings"] == {
        "cell_rule": "gradient",
        "landscape_parts": "well",
    }
    assert main([*args, "--set", "cell_rule=gradient"]) == 2  # the default tilt needs the filter
    assert "'landscape_parts'" in capsys.readouterr().err


def test_scaling_exponent_recovers_a_power_law():
    rows = [
        {"cells": n, "mode": "m", "engine": "e", "step_s": 3e-7 * n**1.3}
        for n in (10**3, 10**4, 10**5)
    ]
    assert abs(scaling_exponent(rows, "m", "e", 10**3) - 1.3) < 1e-9
    table = format_table(
        {
            "rows": [],
            "memory_bandwidth_gb_s": 1.0,
            "bytes_per_cell_step": 1,
            "scaling_exponents": {"m": 1.3},
            "scaling_exponent_from": 1000,
        }
    )
    assert "m 1.30" in table


def test_memory_stays_flat_over_ten_thousand_steps():
    """10^4 cells, 10^4 steps: memory grows by no more than the rows the collector keeps."""
    model = HolarchyModel(
        rng=1,
        n_organizations=10,
        organs_per_organization=10,
        cells_per_organ=100,
        collect_every=100,
    )
    model.run(1000)
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    model.run(9000)
    grown = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    rows_kept = 90
    assert len(model.table) == 101
    assert grown < rows_kept * len(model.table.columns) * 200  # ~200 bytes a kept value at most
