"""Same seed, same trajectories: across engines, runs and processes; another seed differs."""

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from dataspace_abm import HolarchyModel
from dataspace_abm.core.parameter import VERSION_1

HARD = dict(  # every mechanism at once: uneven sizes, loss, attention, removal, moving niches
    n_organizations=3,
    organs_per_organization=[2, 3, 4],
    cells_per_organ=5,
    p_loss=0.1,
    gain=0.5,
    process_noise=0.01,
    pi_h_spread=0.3,
    remove_at=30,
    remove_level="organ",
    niche="daily",
    niche_period=40,
    target="steps",
    target_period=20,
    burst_at=50,
    central_capacity=7,
    delta=0.02,
)


RULES = {
    "v1": VERSION_1,
    "v2": {"landscape_parts": "well", "network": "v1"},  # the filter rule alone
    "v2 tilt": {"gain": 0.0},  # the defaults
    "v2 fair": {"hop_latency": 2, "refresh_every": 7, "node_capacity": 4},
}


@pytest.mark.parametrize("other", ["agents", "numpy"])
@pytest.mark.parametrize(
    ("mode", "rule"),
    [(m, "v1") for m in ("landscape", "command", "flat", "autonomous")]
    + [(m, "v2") for m in ("landscape", "command", "flat", "autonomous")]
    + [("landscape", "v2 tilt")]
    + [(m, "v2 fair") for m in ("landscape", "command", "flat")],
)
def test_engines_give_the_same_trajectories(mode, rule, other):
    """The default engine (compiled cell kernels) against the per-agent and numpy engines."""
    vec = HolarchyModel(rng=3, mode=mode, **{**HARD, **RULES[rule]})
    agents = HolarchyModel(rng=3, mode=mode, engine=other, **{**HARD, **RULES[rule]})
    a, b = vec.run(90), agents.run(90)
    pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-9, atol=1e-9)
    for level_a, level_b in zip(vec.state.levels, agents.state.levels, strict=True):
        alive = level_a.alive
        assert (alive == level_b.alive).all()
        pd.testing.assert_frame_equal(  # living holons' trajectories end in the same place
            pd.DataFrame(level_a.x[alive]), pd.DataFrame(level_b.x[alive]), rtol=1e-9, atol=1e-9
        )


def test_same_seed_gives_identical_parquet_bytes(tmp_path):
    for name in ("a", "b"):
        HolarchyModel(rng=11, mode="landscape", p_loss=0.05).run(60).to_parquet(
            tmp_path / f"{name}.parquet", index=False
        )
    HolarchyModel(rng=12, mode="landscape", p_loss=0.05).run(60).to_parquet(
        tmp_path / "c.parquet", index=False
    )
    a, b, c = ((tmp_path / f"{n}.parquet").read_bytes() for n in "abc")
    assert a == b
    assert a != c


def test_same_seed_in_another_process(tmp_path):
    code = (
        "from dataspace_abm import HolarchyModel;"
        f"HolarchyModel(rng=5, mode='flat').run(40).to_parquet(r'{tmp_path}/p.parquet')"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    here = HolarchyModel(rng=5, mode="flat").run(40)
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "p.parquet"), here, check_exact=True)


BLOCKED = dict(  # 133,120 cells: the cells run in two blocks, their noise in two draws
    n_organizations=4, organs_per_organization=32, cells_per_organ=1040, p_loss=0.1,
    remove_at=6, remove_level="organ", niche="daily",
)  # fmt: skip


@pytest.mark.parametrize(
    ("mode", "network"),
    [(m, "fair") for m in ("landscape", "command", "flat", "autonomous")] + [("command", "v1")],
)
def test_blocks_on_every_core_give_the_numpy_engines_run(mode, network):
    """Past two blocks of cells the kernels run block by block on every core and the noise
    is drawn in blocks: still the numpy engine's trajectories, to 1e-9."""
    from dataspace_abm.regimes.landscape_kernels import blocks
    from dataspace_abm.regimes.noise import BLOCK_ROWS

    blocked = {**BLOCKED, "network": network}
    vec = HolarchyModel(rng=4, mode=mode, **blocked)
    assert (
        blocks(vec.holarchy.n_cells, vec.holarchy.starts[1]).size - 1
        == 2
        <= (vec.holarchy.n_cells // BLOCK_ROWS)
    )
    ref = HolarchyModel(rng=4, mode=mode, engine="numpy", **blocked)
    pd.testing.assert_frame_equal(vec.run(12), ref.run(12), check_exact=False, rtol=1e-9, atol=1e-9)
    for level_a, level_b in zip(vec.state.levels, ref.state.levels, strict=True):
        np.testing.assert_allclose(level_a.x, level_b.x, rtol=1e-9, atol=1e-9)


KERNEL_BLOCKS_ONLY = dict(  # 100,000 cells: the kernels in two blocks, the noise in one draw
    n_organizations=10, organs_per_organization=10, cells_per_organ=1000, remove_at=4,
    remove_level="organ",
)  # fmt: skip


@pytest.mark.parametrize("mode", ["landscape", "flat"])
def test_kernel_blocks_do_not_touch_the_random_numbers(mode):
    """The kernels' blocks (``landscape_kernels.blocks``) are not the noise's
    (``noise.normal_rows``): at 10^5 cells the kernels run in two blocks on every core while
    the noise is one draw, and the run is the numpy engine's, to 1e-9, with one thread or
    two giving the same bytes."""
    import numba

    from dataspace_abm.regimes.landscape_kernels import blocks
    from dataspace_abm.regimes.noise import BLOCK_ROWS

    ref = HolarchyModel(rng=5, mode=mode, engine="numpy", **KERNEL_BLOCKS_ONLY)
    n = ref.holarchy.n_cells
    assert blocks(n, ref.holarchy.starts[1]).size - 1 == 2 and n // BLOCK_ROWS < 2
    want = ref.run(8)
    tables = []
    for threads in (1, numba.config.NUMBA_NUM_THREADS):
        numba.set_num_threads(threads)
        try:
            tables.append(HolarchyModel(rng=5, mode=mode, **KERNEL_BLOCKS_ONLY).run(8))
        finally:
            numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
    pd.testing.assert_frame_equal(tables[0], tables[1], check_exact=True)
    pd.testing.assert_frame_equal(tables[0], want, check_exact=False, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("d", [1, 3])
@pytest.mark.parametrize("mode", ["landscape", "command", "flat", "autonomous"])
def test_kernels_in_other_dimensions_give_the_numpy_engines_run(mode, d):
    """The kernels take a path of their own in two dimensions (the default; sums kept in
    scalars); in one and in three, at 10^5 cells (two blocks, the organs' sums compiled),
    they still give the numpy engine's run, to 1e-9."""
    ref = HolarchyModel(rng=6, mode=mode, engine="numpy", d=d, **KERNEL_BLOCKS_ONLY)
    vec = HolarchyModel(rng=6, mode=mode, d=d, **KERNEL_BLOCKS_ONLY)
    pd.testing.assert_frame_equal(vec.run(6), ref.run(6), check_exact=False, rtol=1e-9, atol=1e-9)
    for level_a, level_b in zip(vec.state.levels, ref.state.levels, strict=True):
        np.testing.assert_allclose(level_a.x, level_b.x, rtol=1e-9, atol=1e-9)


def test_blocks_give_the_same_numbers_with_one_thread_or_two():
    import numba

    tables = []
    for threads in (1, numba.config.NUMBA_NUM_THREADS):
        numba.set_num_threads(threads)
        try:
            tables.append(HolarchyModel(rng=4, **BLOCKED).run(6))
        finally:
            numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
    pd.testing.assert_frame_equal(tables[0], tables[1], check_exact=True)


def test_every_regime_writes_the_same_parquet_with_one_thread_or_two(tmp_path):
    """Same seed, same bytes, whatever the number of threads: the compiled kernels' blocks
    and sums are fixed, the other regimes run in numpy; at 133,120 cells flat's graph comes
    from the fast generator (core/graphs.py)."""
    import os
    import subprocess
    import sys

    sets = [f"--set={k}={v}" for k, v in BLOCKED.items() if k != "niche"] + ["--set=niche='daily'"]
    folders = []
    for threads in (1, 2):
        out = tmp_path / f"threads{threads}"
        env = {**os.environ, "NUMBA_NUM_THREADS": str(threads)}
        code = "import sys; from dataspace_abm.cli import main; sys.exit(main(sys.argv[1:]))"
        argv = [sys.executable, "-c", code, "run", "--mode", "all", "--steps", "6"]
        argv += ["--seed", "4", *sets, "--out", str(out)]
        done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr
        folders.append(out)
    for mode in ("landscape", "command", "flat", "autonomous"):
        one, two = ((f / f"{mode}.parquet").read_bytes() for f in folders)
        assert one == two, mode


ONE_BLOCK = dict(  # 5,120 cells: the kernels on one core (COMPILED_FROM is 4,096)
    n_organizations=4, organs_per_organization=8, cells_per_organ=160, p_loss=0.1,
    remove_at=6, remove_level="organ", niche="daily",
)  # fmt: skip


@pytest.mark.parametrize("mode", ["command", "flat", "autonomous"])
def test_one_block_of_kernels_gives_the_numpy_engines_run(mode):
    vec = HolarchyModel(rng=4, mode=mode, **ONE_BLOCK)
    ref = HolarchyModel(rng=4, mode=mode, engine="numpy", **ONE_BLOCK)
    pd.testing.assert_frame_equal(vec.run(12), ref.run(12), check_exact=False, rtol=1e-9, atol=1e-9)
    for level_a, level_b in zip(vec.state.levels, ref.state.levels, strict=True):
        np.testing.assert_allclose(level_a.x, level_b.x, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("mode", ["command", "autonomous"])
def test_the_kernels_run_from_compiled_from_cells_on(mode, monkeypatch):
    """From COMPILED_FROM cells on the cells, the summary and command's plan take the
    kernels (on one core for one block); below, numpy's code runs as it ran for the
    recorded tables (tests/test_golden.py)."""
    from dataspace_abm.regimes import cell_kernels, landscape_kernels
    from dataspace_abm.regimes.compiled import COMPILED_FROM

    calls = []
    for module, name in [
        (landscape_kernels, "filter_block"),
        (cell_kernels, "plan_block"),
        (landscape_kernels, "summary_block"),
    ]:
        kernel = getattr(module, name)
        monkeypatch.setattr(module, name, lambda *a, _k=kernel, _n=name: calls.append(_n) or _k(*a))
    small = HolarchyModel(rng=4, mode=mode, n_organizations=2, cells_per_organ=50)
    assert small.holarchy.n_cells < COMPILED_FROM <= ONE_BLOCK["n_organizations"] * 8 * 160
    small.run(3)
    assert calls == []
    HolarchyModel(rng=4, mode=mode, **ONE_BLOCK).run(3)
    expected = {"filter_block", "summary_block"}
    assert set(calls) == expected | ({"plan_block"} if mode == "command" else set())


def test_one_block_never_starts_the_threading_layer():
    """A model of one block runs its kernels on this thread alone: a process that forks
    after it (or runs it in a worker beside others) has no thread pool to inherit."""
    code = (
        "import numba\n"
        "from dataspace_abm import HolarchyModel\n"
        "for mode in ('landscape', 'command', 'flat', 'autonomous'):\n"
        f"    HolarchyModel(rng=1, mode=mode, **{ONE_BLOCK!r}).run(8)\n"
        "try:\n"
        "    print(numba.threading_layer())\n"
        "except ValueError:\n"
        "    print('none')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "none"
