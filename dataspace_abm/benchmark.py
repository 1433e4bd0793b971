"""Benchmark: build and step times, throughput, memory and scaling, engine against engine.

Every configuration runs in a fresh process (so its peak memory is its own); step times are
medians over repetitions after a warm-up step. Before any of them, one process builds and
steps a model of every regime past every compiled path's size threshold, so that numba's
compiling (or loading its cache) is timed on its own and not in the first builds. Timings
are figures to read as ratios, taken side by side on the same machine: never asserted in
tests.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import platform
import resource
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from . import traffic
from .core.kernels import LARGE
from .core.params import MODES
from .regimes.noise import BLOCK_ROWS

# cells -> (organizations, organs per organization, cells per organ): four levels, d = 2
SIZES: dict[int, tuple[int, int, int]] = {
    10**3: (10, 10, 10),
    10**4: (10, 10, 100),
    10**5: (10, 100, 100),
    10**6: (10, 100, 1000),
}

# Bytes of the cell arrays a landscape cell-step moved by the count of 2026-11-28 (version
# 1's kernel: it read neither the variance, the action nor the tilt, and wrote no preferred
# state): kept to report the share that count gives. The benchmark's own count is
# traffic.bytes_per_cell_step, pass by pass from the model's arrays (590 bytes at d = 2).
VERSION_1_BYTES = 16 + (97 + 64) + (49 + 40) + (17 + 57) + (33 + 40) + (105 + 17) + 8


def memory_bandwidth(megabytes: int = 256, repeats: int = 5, threads: int = 1) -> float:
    """Copy bandwidth in bytes per second: (read + write) / time of the best of ``repeats``
    copies of an array far larger than the caches (freed on return), split into ``threads``
    contiguous parts copied at once (numpy copies without the GIL)."""
    a = np.ones(megabytes * 2**20 // 8)
    b = a.copy()  # touched: no page faults in the timed copies
    edges = np.linspace(0, a.size, threads + 1).astype(np.int64)
    parts = [(b[i:j], a[i:j]) for i, j in zip(edges[:-1], edges[1:], strict=True)]
    with ThreadPoolExecutor(threads) as pool:
        best = min(_timed(lambda: list(pool.map(lambda p: np.copyto(*p), parts)))
                   for _ in range(repeats))  # fmt: skip
    return 2 * a.nbytes / best


def copies(repeats: int = 3) -> tuple[float, float]:
    """The copy bandwidth on every core (the kernels' reference: they run on every core)
    and on one (the reference of the runs before 2026-12-03), bytes per second."""
    cores = os.cpu_count() or 1
    return memory_bandwidth(repeats=repeats, threads=cores), memory_bandwidth(repeats=repeats)


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _measure(
    n_cells: int, mode: str, engine: str, steps: int, repeats: int, settings: dict[str, Any]
) -> dict[str, Any]:
    """Build one model and time its steps (runs inside a fresh process)."""
    from .core.model import HolarchyModel

    organizations, organs, cells = SIZES.get(n_cells) or _shape(n_cells)
    started = time.perf_counter()
    model = HolarchyModel(
        rng=1, mode=mode, engine=engine, n_organizations=organizations,
        organs_per_organization=organs, cells_per_organ=cells, **settings,
    )  # fmt: skip
    build = time.perf_counter() - started
    model.step()  # warm-up: compiled kernels, caches
    times, collect = [], []
    for _ in range(repeats):
        before = model.collect_seconds
        times.append(_timed(lambda: [model.step() for _ in range(steps)]) / steps)
        collect.append((model.collect_seconds - before) / steps)
    step = statistics.median(times)
    n = model.holarchy.n_cells
    counted = (
        engine == "vectorized" and mode in traffic.COUNTED and model.p["cell_rule"] == "filter"
        and model.regime.compiled(0, slice(0, n))
    )  # fmt: skip
    return {
        "cells": n,
        "mode": mode,
        "engine": engine,
        "build_s": build,
        "step_s": step,
        "cell_steps_per_s": n / step,
        "collection_share": statistics.median(collect) / step,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "bytes_per_cell_step": traffic.bytes_per_cell_step(model) if counted else None,
    }


# past every size threshold of a compiled path: the kernels' blocks (core.kernels.LARGE),
# the noise's blocks and flat's compiled search (2 x noise.BLOCK_ROWS = 131,072 cells)
WARM_CELLS = max(LARGE, 2 * BLOCK_ROWS) + 10_000


def _compile(up_to: int, modes: list[str], settings: dict[str, Any]) -> float:
    """Seconds to build and step one model per regime of ``min(up_to, WARM_CELLS)`` cells:
    numba compiles every kernel those sizes take, or loads it from its cache."""
    started = time.perf_counter()
    for mode in modes:
        _measure(min(up_to, WARM_CELLS), mode, "vectorized", 1, 1, settings)
    return time.perf_counter() - started


def _shape(n_cells: int) -> tuple[int, int, int]:
    """Four levels for any size: 10 organizations of 10 organs, the rest in cells per organ."""
    return 10, 10, max(1, round(n_cells / 100))


def _measure_idiomatic(n_cells: int, steps: int, repeats: int) -> dict[str, Any]:
    """The peer written as a Mesa user would (``peers.py``), timed like the engines."""
    from .peers import IdiomaticLandscape

    started = time.perf_counter()
    model = IdiomaticLandscape(n_cells)
    build = time.perf_counter() - started
    model.step()
    times = [_timed(lambda: [model.step() for _ in range(steps)]) / steps for _ in range(repeats)]
    step = statistics.median(times)
    return {
        "cells": n_cells,
        "mode": "landscape",
        "engine": "mesa-idiomatic",
        "build_s": build,
        "step_s": step,
        "cell_steps_per_s": n_cells / step,
        "collection_share": 0.0,  # the peer collects nothing
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


# Why a peer is not in the run (checked 2026-12-01 against the package registry here).
PEERS_NOT_RUN = {
    "mesa-frames": "the registry offers only 0.1.0a0, which needs numpy < 2: installing it"
    " would replace numpy 2 by 1.26.4, and the project requires numpy >= 2",
}


def _in_fresh_process(*args, target=_measure) -> dict[str, Any]:
    with mp.get_context("spawn").Pool(1) as pool:
        return pool.apply(target, args)


def scaling_exponent(rows: list[dict[str, Any]], mode: str, engine: str, low: int) -> float:
    """Least-squares slope of log(step time) against log(cells), from ``low`` cells up."""
    pts = [(r["cells"], r["step_s"]) for r in rows
           if r["mode"] == mode and r["engine"] == engine and r["cells"] >= low]  # fmt: skip
    if len(pts) < 2:
        return float("nan")
    x, y = np.log([p[0] for p in pts]), np.log([p[1] for p in pts])
    return float(np.polyfit(x, y, 1)[0])


def run_benchmark(
    sizes: list[int],
    modes: list[str] | None = None,
    steps: int = 5,
    repeats: int = 5,
    agents_up_to: int = 10**5,
    progress=print,
    settings: dict[str, Any] | None = None,
    peers_up_to: int = 10**5,
    landscape_sizes: list[int] | None = None,
) -> dict[str, Any]:
    """Every size x regime on the default engine, and the per-agent engine up to a size;
    the landscape rule written as a Mesa user would (``mesa-idiomatic``) up to
    ``peers_up_to`` cells; ``landscape_sizes``: larger sizes run in ``landscape`` only;
    ``settings``: parameters every run uses (``--set``)."""
    modes, settings = modes or list(MODES), dict(settings or {})
    rows = []
    extra = [n for n in landscape_sizes or [] if n not in sizes] if "landscape" in modes else []
    compile_s = _in_fresh_process(max(sizes + extra), modes, settings, target=_compile)
    progress(f"compiled (or loaded from numba's cache) in {compile_s:.1f} s")
    # The copy runs in a process of its own: a row's process starts its peak memory at this
    # one's peak (Linux hands a spawned child its parent's), so the rows' peaks stay theirs.
    copier = mp.get_context("spawn").Pool(1)
    for n in [*sizes, *extra]:
        for mode in modes if n in sizes else ["landscape"]:
            engines = ["vectorized"] + (["agents"] if n <= agents_up_to else [])
            for engine in engines:
                reps = repeats if engine == "vectorized" else max(1, repeats // 2)
                step_count = steps if engine == "vectorized" else 1
                before = copier.apply(copies) if engine == "vectorized" else None
                row = _in_fresh_process(n, mode, engine, step_count, reps, settings)
                if before is not None:  # the copies just before and just after the row
                    after = copier.apply(copies)
                    row["copy_gb_s"] = (before[0] + after[0]) / 2e9
                    row["copy_one_core_gb_s"] = (before[1] + after[1]) / 2e9
                rows.append(row)
                progress(
                    f"{row['cells']:>8} {mode:<10} {engine:<14} step {row['step_s'] * 1e3:9.2f} ms"
                )
            if mode == "landscape" and n <= peers_up_to and not settings:
                peer_steps = max(1, min(steps, round(2e5 / n)))  # about a second a repetition
                row = _in_fresh_process(n, peer_steps, max(1, repeats // 2),
                                        target=_measure_idiomatic)  # fmt: skip
                rows.append(row)
                progress(f"{n:>8} {mode:<10} {'mesa-idiomatic':<14} step "
                         f"{row['step_s'] * 1e3:9.2f} ms")  # fmt: skip
    for row in rows:
        if row["engine"] in ("agents", "mesa-idiomatic"):
            twin = next(r for r in rows if r["engine"] == "vectorized" and r["cells"] ==
                        row["cells"] and r["mode"] == row["mode"])  # fmt: skip
            key = "speedup_over_agents" if row["engine"] == "agents" else "speedup_over_mesa"
            twin[key] = row["step_s"] / twin["step_s"]
            if row["engine"] == "mesa-idiomatic":  # the peer measures nothing a step
                measuring = twin["step_s"] * (1.0 - twin["collection_share"])
                twin["speedup_over_mesa_without_measures"] = row["step_s"] / measuring
    bandwidth, one_core = copier.apply(copies, (5,))  # best of five, after the last row
    copier.terminate()
    low = 10**4 if max(sizes + extra) > 10**4 else min(sizes)
    exponents = {m: scaling_exponent(rows, m, "vectorized", low) for m in modes}
    for row in rows:  # against the copy measured beside the row, not the run's last one
        moved = row.get("bytes_per_cell_step")
        rate = row["cell_steps_per_s"]
        for key, copy in (("bandwidth_share", "copy_gb_s"),
                          ("bandwidth_share_one_core", "copy_one_core_gb_s")):  # fmt: skip
            row[key] = None if moved is None else moved * rate / (row[copy] * 1e9)
    counts = {r["mode"]: r["bytes_per_cell_step"] for r in rows if r.get("bytes_per_cell_step")}
    return {
        "machine": {
            "python": platform.python_version(),
            "processor": platform.processor(),
            "cpus": mp.cpu_count(),
        },  # fmt: skip
        "method": f"median of {repeats} repetitions of {steps} steps after one warm-up step,"
        " every kernel compiled before",
        "compile_s": compile_s,
        "memory_bandwidth_gb_s": bandwidth / 1e9,
        "memory_bandwidth_one_core_gb_s": one_core / 1e9,
        "bytes_per_cell_step": counts,
        "bytes_per_cell_step_version_1": VERSION_1_BYTES,
        "scaling_exponent_from": low,
        "scaling_exponents": exponents,
        "peers_not_run": PEERS_NOT_RUN,
        "rows": rows,
    }


def format_table(result: dict[str, Any]) -> str:
    """The benchmark as a plain-text table with its summary lines."""
    head = (
        f"{'cells':>8} {'mode':<10} {'engine':<14} {'build s':>8} {'step ms':>9} "
        f"{'cell-steps/s':>13} {'collect':>8} {'peak MB':>8} {'x agents':>9} {'x Mesa':>7} "
        f"{'copy GB/s':>9} {'of BW':>6}"
    )
    lines = [head, "-" * len(head)]
    for r in result["rows"]:
        speed, mesa = r.get("speedup_over_agents"), r.get("speedup_over_mesa")
        share, copy = r.get("bandwidth_share"), r.get("copy_gb_s")
        lines.append(
            f"{r['cells']:>8} {r['mode']:<10} {r['engine']:<14} {r['build_s']:>8.2f} "
            f"{r['step_s'] * 1e3:>9.2f} {r['cell_steps_per_s']:>13.3g} "
            f"{r['collection_share']:>8.1%} {r['peak_rss_mb']:>8.0f} "
            f"{'' if speed is None else f'{speed:.0f}x':>9} "
            f"{'' if mesa is None else f'{mesa:.0f}x':>7} "
            f"{'' if copy is None else f'{copy:.1f}':>9} "
            f"{'' if share is None else f'{share:.0%}':>6}"
        )
    lines.append("")
    if "compile_s" in result:
        lines.append(f"numba's kernels compiled (or loaded from its cache) before any timing: "
                     f"{result['compile_s']:.1f} s")  # fmt: skip
    moved = ", ".join(f"{m} {b:.0f}" for m, b in result["bytes_per_cell_step"].items())
    beside = [r["copy_gb_s"] for r in result["rows"] if r.get("copy_gb_s")]
    spread = f"; beside the rows {min(beside):.1f} to {max(beside):.1f}" if beside else ""
    one_core = result.get("memory_bandwidth_one_core_gb_s")
    lines.append(f"memory bandwidth (copy on every core): {result['memory_bandwidth_gb_s']:.1f} "
                 f"GB/s after the last row{spread}"
                 + (f"; on one core {one_core:.1f}" if one_core else ""))  # fmt: skip
    lines.append("of BW: a row's traffic over the copy on every core beside it")
    lines.append(f"bytes a cell-step moves, counted pass by pass: {moved}")
    old = result.get("bytes_per_cell_step_version_1")
    shared = [r for r in result["rows"] if r["mode"] == "landscape" and r.get("bandwidth_share")]
    largest = max(shared, key=lambda r: r["cells"], default=None)
    if old and largest:
        share = largest["bandwidth_share"] * old / largest["bytes_per_cell_step"]
        lines.append(f"landscape at {largest['cells']} cells by version 1's count of {old} bytes: "
                     f"{share:.0%} of the copy on every core; by this count, of one core's copy "
                     f"(the reference until 2026-12-03): "
                     f"{largest['bandwidth_share_one_core']:.0%}")  # fmt: skip
    exps = ", ".join(f"{m} {e:.2f}" for m, e in result["scaling_exponents"].items())
    lines.append(f"scaling exponent of step time in N (from {result['scaling_exponent_from']} "
                 f"cells): {exps}")  # fmt: skip
    for peer, why in result.get("peers_not_run", {}).items():
        lines.append(f"not run: {peer}: {why}")
    return "\n".join(lines)


def write_json(result: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2, default=float))
