"""The benchmark's output structure (never its timings), and memory that stays flat."""

import json
import os
import tracemalloc
from pathlib import Path

import numpy as np

from dataspace_abm import HolarchyModel
from dataspace_abm.benchmark import format_table, memory_bandwidth, scaling_exponent
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
            "--landscape-sizes",
            "600",
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
        (200, "landscape", "mesa-idiomatic"),
        (200, "command", "vectorized"),
        (200, "command", "agents"),
        (400, "landscape", "vectorized"),
        (400, "landscape", "mesa-idiomatic"),
        (400, "command", "vectorized"),
        (600, "landscape", "vectorized"),
        (600, "landscape", "mesa-idiomatic"),
    ]
    for row in rows:
        assert row["step_s"] > 0 and row["build_s"] > 0 and row["peak_rss_mb"] > 0
        assert 0 <= row["collection_share"] <= 1
        assert np.isclose(row["cell_steps_per_s"], row["cells"] / row["step_s"])
    assert rows[0]["speedup_over_agents"] > 0 and "speedup_over_agents" not in rows[5]
    assert rows[0]["speedup_over_mesa"] > 0 and rows[5]["speedup_over_mesa"] > 0
    # without its measures the default engine is faster still, on the same peer's time
    for row in (rows[0], rows[5]):
        assert row["speedup_over_mesa_without_measures"] >= row["speedup_over_mesa"]
    assert "speedup_over_mesa" not in rows[3]  # the peer is the landscape rule only
    # the traffic is counted for landscape (traffic.py), not for command's numpy queues
    assert rows[0]["bandwidth_share"] > 0 and rows[3]["bandwidth_share"] is None
    # each row's share is against the copy measured beside it (before and after its process)
    # (on every core, the kernels' reference, and on one, the reference until 2026-12-03)
    for row in rows:
        assert (row.get("copy_gb_s", 0) > 0) == (row["engine"] == "vectorized")
        assert (row.get("copy_one_core_gb_s", 0) > 0) == (row["engine"] == "vectorized")
        if row["bandwidth_share"] is not None:
            moved = row["bytes_per_cell_step"] * row["cell_steps_per_s"]
            assert np.isclose(row["bandwidth_share"], moved / (row["copy_gb_s"] * 1e9))
            share = moved / (row["copy_one_core_gb_s"] * 1e9)
            assert np.isclose(row["bandwidth_share_one_core"], share)
    assert rows[0]["bytes_per_cell_step"] > result["bytes_per_cell_step_version_1"]
    assert rows[1]["bytes_per_cell_step"] is None  # nor for the per-agent engine
    assert "mesa-frames" in result["peers_not_run"]
    assert result["compile_s"] > 0 and "compiled before" in result["method"]
    assert result["memory_bandwidth_gb_s"] > 0 and result["memory_bandwidth_one_core_gb_s"] > 0
    assert result["bytes_per_cell_step"] == {"landscape": rows[0]["bytes_per_cell_step"]}
    assert set(result["scaling_exponents"]) == {"landscape", "command"}
    printed = capsys.readouterr().out
    assert "cell-steps/s" in printed and "scaling exponent" in printed and "x Mesa" in printed
    assert "not run: mesa-frames" in printed and "compiled (or loaded" in printed
    assert "by version 1's count of 543 bytes" in printed
    assert "copy GB/s" in printed and "beside the rows" in printed and "on one core" in printed


def test_benchmark_settings_reach_every_run_and_are_checked_first(tmp_path, capsys):
    out = tmp_path / "b.json"
    args = ["bench", "--sizes", "200", "--modes", "landscape", "--steps", "1", "--repeats", "1"]
    args += ["--agents-up-to", "0", "--landscape-sizes", "", "--out", str(out)]
    assert main([*args, "--set", "cell_rule=gradient", "--set", "landscape_parts=well"]) == 0
    assert json.loads(out.read_text())["settings"] == {
        "cell_rule": "gradient",
        "landscape_parts": "well",
    }
    assert main([*args, "--set", "cell_rule=gradient"]) == 2  # the default tilt needs the filter
    assert "'landscape_parts'" in capsys.readouterr().err


def test_the_copy_frees_its_arrays():
    """The copy measured beside every row (in a process of its own, so that the rows'
    processes do not start their peak memory at its 512 MB) frees its arrays each time."""

    def resident() -> int:  # bytes (Linux, as the benchmark's peak memory)
        pages = int(Path("/proc/self/statm").read_text().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE")

    before = resident()
    assert memory_bandwidth(megabytes=256, repeats=2) > 0
    assert memory_bandwidth(megabytes=256, repeats=2, threads=2) > 0  # every core's copy
    assert resident() - before < 64 * 2**20


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
            "bytes_per_cell_step": {"m": 1},
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


def test_the_idiomatic_peer_runs_the_same_rule_to_the_same_fixed_point():
    """The Mesa-style peer settles where the project's rule does: the mean at T, every cell
    at its niche shifted by the price, ``h + b / pi_h`` (docs/odd.md P3)."""
    from dataspace_abm.peers import IdiomaticLandscape

    model = IdiomaticLandscape(500, rng=3)
    for _ in range(600):
        model.step()
    x = np.array([c.x for c in model.agents])
    h = np.array([c.h for c in model.agents])
    assert np.allclose(x.mean(axis=0), 1.0, atol=0.02)  # target_level
    shift = np.array(model.tilt) / 0.5  # pi_h
    assert np.allclose((x - h).mean(axis=0), shift, atol=0.02)
    assert np.abs(x - h - shift).max() < 0.2  # each cell near its own place
