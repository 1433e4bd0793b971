"""Every bad input gets one clear line, and no result can mislead (the careful user's defects)."""

import math
import socket
import subprocess
import sys
import tomllib

import mesa
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dataspace_abm import HolarchyModel, ParameterError
from dataspace_abm.batch.spec import SpecError, parse_spec
from dataspace_abm.cli import main
from dataspace_abm.core import params as P

TINY = {"n_organizations": 2, "organs_per_organization": 2, "cells_per_organ": 3}
TINY_SPEC = """
[fixed]
n_organizations = 2
organs_per_organization = 2
cells_per_organ = 2
[run]
steps = 3
"""


@pytest.fixture
def tiny_spec():
    def write(folder):
        path = folder / "tiny.toml"
        path.write_text(TINY_SPEC)
        return path

    return write


def cli(*args, **kw):
    """``dataspace-abm ARGS`` in its own process, as a user runs it."""
    command = [sys.executable, "-m", "dataspace_abm.cli", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=300, **kw)


def one_line_exit_2(proc) -> str:
    """The refusal: exit code 2, one line on stderr, no traceback; returns that line."""
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("dataspace-abm: error: ")
    return lines[0]


# --- 1 and 2: a run repeats from its config.toml; --set mode is honoured or refused ---------
def test_config_toml_repeats_a_run_byte_for_byte(tmp_path):
    first = ["run", "--mode", "command", "--steps", "7", "--seed", "3"]
    assert main([*first, "--out", str(tmp_path / "a"), "--set", "cells_per_organ=3"]) == 0
    assert (
        main(["run", "--config", str(tmp_path / "a/config.toml"), "--out", str(tmp_path / "b")])
        == 0
    )
    assert sorted(p.name for p in (tmp_path / "b").iterdir()) == ["command.parquet", "config.toml"]
    for name in ("command.parquet", "config.toml"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    table = pd.read_parquet(tmp_path / "b/command.parquet")
    assert table["step"].iloc[-1] == 7
    run = tomllib.loads((tmp_path / "b/config.toml").read_text())["run"]
    assert (run["modes"], run["steps"], run["seed"]) == (["command"], 7, 3)


def test_flags_override_the_config_they_start_from(tmp_path):
    main(["run", "--mode", "autonomous", "--steps", "4", "--out", str(tmp_path / "a")])
    config = str(tmp_path / "a/config.toml")
    main(
        ["run", "--config", config, "--steps", "2", "--mode", "flat", "--out", str(tmp_path / "b")]
    )
    assert [p.name for p in (tmp_path / "b").glob("*.parquet")] == ["flat.parquet"]
    assert len(pd.read_parquet(tmp_path / "b/flat.parquet")) == 3


def test_set_mode_picks_the_regime(tmp_path):
    assert main(["run", "--set", "mode=flat", "--steps", "3", "--out", str(tmp_path)]) == 0
    assert [p.name for p in tmp_path.glob("*.parquet")] == ["flat.parquet"]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--set", "mode=banana"], "parameter 'mode' = 'banana' is invalid: allowed one of"),
        (["--set", "mode=flat", "--mode", "command"], "--set mode=flat contradicts --mode command"),
        (["--seed", "-1"], "--seed = -1 is invalid: allowed an integer >= 0"),
    ],
)
def test_run_refuses_contradictions_and_bad_seeds(tmp_path, args, needle):
    line = one_line_exit_2(cli("run", "--steps", "2", "--out", str(tmp_path / "o"), *args))
    assert needle in line
    assert not (tmp_path / "o").exists()  # refused before anything ran


# --- 3: an empty system's errors are missing, not perfect ----------------------------------
@pytest.mark.parametrize("mode", P.MODES)
def test_errors_of_an_empty_system_are_missing(mode, recwarn):
    kw = {**TINY, "remove_at": 3, "remove_fraction": 0.999, "flat_degree": 2}
    table = HolarchyModel(rng=1, mode=mode, **kw).run(6)
    before, after = table[table["step"] < 3], table[table["step"] >= 3]
    assert (before["alive_cells"] == 12).all() and (after["alive_cells"] == 0).all()
    for column in ("tracking_error", "niche_error", "free_energy_cell"):
        assert before[column].notna().all() and after[column].isna().all()
    assert np.isfinite(after["energy_total"]).all()
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


def test_summaries_treat_missing_errors_as_missing():
    from dataspace_abm.batch.derived import derive
    from dataspace_abm.batch.spec import Derived
    from dataspace_abm.cli import comparison_row

    steps = np.arange(6)
    y = np.array([1.0, 2.0, 3.0, np.nan, np.nan, np.nan])
    assert derive(Derived("m", "tracking_error", "mean"), steps, y, 1, 1) == 2.0
    assert math.isnan(derive(Derived("f", "tracking_error", "final"), steps, y, 1, 1))
    assert math.isnan(derive(Derived("m", "tracking_error", "mean", {"from": 3}), steps, y, 1, 1))
    table = HolarchyModel(rng=1, **TINY, remove_at=2, remove_fraction=0.999).run(20)
    assert math.isnan(comparison_row("landscape", table)["tracking_error"])  # the tail is empty


EMPTIED = """
[fixed]
n_organizations = 2
organs_per_organization = 2
cells_per_organ = 3
remove_at = 5
[sweep]
remove_fraction = [0.5, 0.999]
[run]
steps = 10
[derived.late_error]
measure = "tracking_error"
stat = "mean"
from = 6
[[figures]]
name = "late"
x = "remove_fraction"
y = ["late_error", "tracking_error"]
"""


def test_a_batch_reports_an_empty_systems_errors_as_missing(tmp_path):
    from dataspace_abm.batch.report import write_outputs
    from dataspace_abm.batch.runner import run_batch

    spec = parse_spec(EMPTIED)
    write_outputs(spec, tmp_path, run_batch(spec, tmp_path, workers=1, progress=False))
    summary = pd.read_csv(tmp_path / "summary.csv")
    emptied = summary[summary["remove_fraction"] == 0.999].set_index("measure")
    kept = summary[summary["remove_fraction"] == 0.5].set_index("measure")
    for value in ("late_error", "tracking_error"):
        assert emptied.loc[value, "missing"] == 1 and math.isnan(emptied.loc[value, "mean"])
        assert kept.loc[value, "missing"] == 0 and kept.loc[value, "mean"] > 0
    assert (tmp_path / "figures" / "late.png").read_bytes()[:4] == b"\x89PNG"  # drawn, not crashed


# --- 4: numpy numbers are numbers ---------------------------------------------------------
def test_numpy_scalars_are_accepted_as_parameters():
    model = HolarchyModel(
        rng=np.int64(2),
        n_organizations=np.int64(2),
        organs_per_organization=np.arange(1, 3),
        cells_per_organ=np.int32(3),
        pi_o=np.float32(4.0),
        d=np.uint8(2),
        target_level=np.float64(0.5),
    )
    assert model.p["cells_per_organ"] == 3 and type(model.p["cells_per_organ"]) is int
    assert model.p["organs_per_organization"] == [1, 2] and type(model.p["pi_o"]) is float
    with pytest.raises(ParameterError, match="'cells_per_organ' = 2.5"):
        HolarchyModel(cells_per_organ=np.float64(2.5))
    with pytest.raises(ParameterError, match="'d' = True"):
        HolarchyModel(d=np.bool_(True))


def test_mesa_batch_run_with_numpy_ranges():
    results = mesa.batch_run(
        HolarchyModel,
        parameters={**TINY, "cells_per_organ": np.arange(2, 4), "gain": np.linspace(0, 1, 2)},
        rng=[np.int64(7)],  # a numpy seed too
        max_steps=3,
        number_processes=1,
        display_progress=False,
    )
    assert {r["cells_per_organ"] for r in results} == {2, 3}
    assert {r["alive_cells"] for r in results if r["Step"] == 3} == {8, 12}


def test_ema_workbench_integer_parameters():
    ema = pytest.importorskip("ema_workbench")
    seen = []

    def experiment(cells_per_organ=3, gain=0.0):
        seen.append(type(cells_per_organ))
        model = HolarchyModel(rng=1, **{**TINY, "cells_per_organ": cells_per_organ}, gain=gain)
        return {"tracking_error": float(model.run(3)["tracking_error"].iloc[-1])}

    model = ema.Model("holarchy", function=experiment)
    model.uncertainties = [
        ema.IntegerParameter("cells_per_organ", 2, 5),
        ema.RealParameter("gain", 0.0, 1.0),
    ]
    model.outcomes = [ema.ScalarOutcome("tracking_error")]
    with ema.SequentialEvaluator(model) as evaluator:
        experiments, outcomes = evaluator.perform_experiments(scenarios=3)
    assert any(issubclass(t, np.integer) for t in seen)  # the workbench passes numpy integers
    assert np.isfinite(outcomes["tracking_error"]).all() and len(experiments) == 3


# --- 5: one line and exit 2 instead of tracebacks -----------------------------------------
@pytest.mark.parametrize("command", [["run"], ["experiment", "SPEC"]])
def test_out_that_is_a_file_or_unwritable_is_one_line(tmp_path, command, tiny_spec):
    command = [str(tiny_spec(tmp_path)) if c == "SPEC" else c for c in command]
    blocker = tmp_path / "a_file"
    blocker.write_text("kept\n")
    line = one_line_exit_2(cli(*command, "--out", str(blocker)))
    assert f"--out {blocker}: is a file, not a folder" in line
    line = one_line_exit_2(cli(*command, "--out", str(blocker / "below")))
    assert f"--out {blocker / 'below'}: cannot" in line
    assert blocker.read_text() == "kept\n"


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--scheduler", "notanaddress"], "--scheduler notanaddress: not an address"),
        (["--connect-timeout", "-1"], "--connect-timeout = -1 is invalid: allowed a finite"),
    ],
)
def test_bad_scheduler_options_are_one_line(tmp_path, tiny_spec, args, needle):
    proc = cli("experiment", str(tiny_spec(tmp_path)), "--out", str(tmp_path / "o"), *args)
    assert needle in one_line_exit_2(proc)
    assert not (tmp_path / "o").exists()


def test_viz_refuses_a_port_out_of_range():
    line = one_line_exit_2(cli("viz", "--port", "99999"))
    assert "--port = 99999 is invalid: allowed an integer in [1, 65535]" in line


def test_viz_says_the_port_is_taken_before_starting():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = cli("viz", "--port", str(port))
    assert f"--port {port}: the port is taken" in one_line_exit_2(proc)
    assert "starting" not in proc.stdout.lower()


# --- 8: messages that say what is wrong ---------------------------------------------------
@pytest.mark.parametrize(
    ("kw", "needle"),
    [
        (
            {"n_organizations": 1, "organs_per_organization": 1, "cells_per_organ": 1},
            "parameter 'mode' = 'flat' is invalid: allowed a model of at least 3 cells (it has 1)",
        ),
        (
            {"n_organizations": 1, "organs_per_organization": 1, "cells_per_organ": 4},
            "'flat_degree' = 4 is invalid: allowed an integer in [2, 3]: the flat regime needs",
        ),
    ],
)
def test_a_flat_model_too_small_says_so(kw, needle):
    with pytest.raises(ParameterError) as err:
        HolarchyModel(mode="flat", **kw)
    assert needle in str(err.value)


def test_all_modes_on_a_tiny_model_point_to_mode(tmp_path):
    sizes = ["--set", "n_organizations=1", "--set", "organs_per_organization=1"]
    line = one_line_exit_2(cli("run", *sizes, "--set", "cells_per_organ=4", "--out", str(tmp_path)))
    assert "'flat_degree' = 4" in line and "--mode runs one regime at a time" in line
    assert (
        cli("run", "--mode", "landscape", "--steps", "2", *sizes, "--out", str(tmp_path)).returncode
        == 0
    )


def test_a_huge_model_blames_the_size_that_grew():
    with pytest.raises(ParameterError, match=r"'n_organizations' = 1000000000 .*free memory"):
        HolarchyModel(n_organizations=1e9)


def test_csv_errors_show_the_value_as_written(tmp_path):
    path = tmp_path / "grid.csv"
    path.write_text("hour,solar_mw,wind_mw,other_load_mw\n0,1,inf,1\n")
    with pytest.raises(ParameterError) as err:
        HolarchyModel(scenario="ai_grid", grid_series=str(path))
    assert "'wind_mw' = inf is not a finite number" in str(err.value)
    assert "np.float64" not in str(err.value)


@pytest.mark.parametrize(("name", "value"), [("grid_series", "x.csv"), ("gpu_cost", 9.0)])
def test_a_scenarios_own_parameter_outside_it_is_refused(name, value):
    with pytest.raises(ParameterError) as err:
        HolarchyModel(**{name: value})
    expected = f"'{name}' = {value!r} is invalid: allowed its default unless scenario = 'ai_grid'"
    assert expected in str(err.value)
    assert HolarchyModel(scenario="ai_grid", **{"gpu_cost": 9.0}).p["gpu_cost"] == 9.0


@pytest.mark.parametrize(("option", "where"), [("from", "60"), ("to", "61")])
def test_derived_window_beyond_the_run_is_refused(option, where):
    text = f"""
[run]
steps = 50
[derived.late]
measure = "tracking_error"
stat = "mean"
{option} = {where}
"""
    with pytest.raises(
        SpecError, match=rf"derived.late.{option}: {where} is invalid: allowed a step in \[0, 50\]"
    ):
        parse_spec(text)


# --- 9: the holon lists show the living ---------------------------------------------------
def test_removed_holons_leave_the_holon_lists():
    model = HolarchyModel(rng=1, **TINY, remove_at=1, remove_fraction=0.5)
    first = model.holons[0][0]
    model.run(2)
    alive = model.state.levels[0].alive
    assert [c.row for c in model.holons[0]] == list(np.flatnonzero(alive))
    assert len(model.holons[0]) == 6 == len(model.agents_by_type[type(first)])
    assert all(c.alive for c in model.holons[0])
    removed = [c for c in model._by_row[0] if not alive[c.row]]
    assert removed and not any(c.alive for c in removed)
    assert not set(removed) & set(model.agents)


# --- every parameter of the table: outside refused by name, inside steps without NaN --------
NUMERIC = [n for n, s in P.PARAMETERS.items() if s.kind in ("int", "float", "sizes")]
SMALL_SIZES = {"n_organizations": 3, "organs_per_organization": 3, "cells_per_organ": 4, "d": 3}


def _inside(name: str):
    spec = P.PARAMETERS[name]
    if name in SMALL_SIZES:  # inside the range, and small enough to build at once
        return st.integers(spec.low, SMALL_SIZES[name])
    if name == "x_max":  # the cross-check wants x_max above x_min's default
        return st.floats(-1e9, 1e9, exclude_min=True)
    low = -1e12 if spec.low is None else spec.low
    high = 1e12 if spec.high is None else spec.high
    if spec.kind != "float":
        return st.integers(int(math.ceil(low)), int(min(high, 10**6)))
    return st.floats(low, high, exclude_min=spec.low_open, exclude_max=spec.high_open)


def _outside(name: str):
    spec = P.PARAMETERS[name]
    options = []
    if spec.low is not None:
        below = st.floats(-1e15, spec.low, exclude_max=not spec.low_open)
        options.append(below.map(int) if spec.kind != "float" else below)
    if spec.high is not None:
        above = st.floats(spec.high, 1e15, exclude_min=not spec.high_open)
        options.append(above.map(lambda v: int(v) + 1) if spec.kind != "float" else above)
    if spec.kind != "float":
        options.append(st.floats(0.1, 0.9).map(lambda v: spec.low + v if spec.low else v))
    options.append(st.sampled_from([math.nan, math.inf, "text", None]))
    return st.one_of(options).filter(lambda v: not _allowed(spec, v))


def _allowed(spec, v) -> bool:
    try:
        P.check_value(next(n for n, s in P.PARAMETERS.items() if s is spec), v)
    except ParameterError:
        return False
    return True


MISSING_UNTIL = ["time_to_cut"]  # documented as missing until the fleet has cut


def _scenario(name: str) -> dict:
    section = P.PARAMETERS[name].section
    if section == "morphogenesis":  # its organs are the form's size
        return {"scenario": "morphogenesis", "cells_per_organ": 8}
    return {"scenario": "ai_grid", "d": 1} if section == "ai_grid" else {}


@settings(max_examples=300)
@given(st.sampled_from(NUMERIC).flatmap(lambda n: st.tuples(st.just(n), _inside(n))))
def test_every_value_inside_its_range_builds_a_model_that_steps_without_nan(case):
    name, value = case
    kw = {**TINY, **_scenario(name), name: value}
    if name == "remove_at":
        kw["remove_fraction"] = 0.5  # leave cells, so errors are defined
    table = HolarchyModel(rng=1, **kw).run(3)
    numbers = table.select_dtypes("number").drop(columns=MISSING_UNTIL, errors="ignore")
    assert not numbers.isna().any().any(), numbers.columns[numbers.isna().any()].tolist()


@given(st.sampled_from(NUMERIC).flatmap(lambda n: st.tuples(st.just(n), _outside(n))))
def test_every_value_outside_its_range_is_refused_by_name(case):
    name, value = case
    with pytest.raises(ParameterError) as err:
        HolarchyModel(rng=1, **{**_scenario(name), name: value})
    assert f"parameter '{name}'" in str(err.value) and "allowed" in str(err.value)


@given(st.sampled_from([n for n, s in P.PARAMETERS.items() if s.kind == "str"]), st.text())
def test_every_choice_outside_its_list_is_refused_by_name(name, value):
    if value in P.PARAMETERS[name].choices:
        return
    with pytest.raises(ParameterError, match=f"parameter '{name}'"):
        HolarchyModel(rng=1, **{name: value})
