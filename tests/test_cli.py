"""The command line: comparison table, Parquet and config output, one-line errors."""

import subprocess
import sys
import tomllib

import pandas as pd
import pytest

from dataspace_abm.cli import main
from dataspace_abm.core import params as P


def test_run_all_modes_writes_tables_and_config(tmp_path, capsys):
    code = main(
        [
            "run",
            "--steps",
            "12",
            "--seed",
            "3",
            "--out",
            str(tmp_path),
            "--set",
            "cells_per_organ=3",
            "--set",
            "gain=0.2",
        ]
    )
    assert code == 0
    printed = capsys.readouterr().out
    for mode in P.MODES:
        assert mode in printed
        table = pd.read_parquet(tmp_path / f"{mode}.parquet")
        assert list(table["step"]) == list(range(13))
        assert {"tracking_error", "bits_total", "peak_node_load"} <= set(table.columns)
    config = P.flatten(tomllib.loads((tmp_path / "config.toml").read_text()))
    assert config["cells_per_organ"] == 3 and config["gain"] == 0.2 and config["seed"] == 3
    assert config["steps"] == 12 and set(P.PARAMETERS) - set(config) == {"mode"}


def test_config_file_reproduces_a_run(tmp_path):
    flat_run = ["run", "--mode", "flat", "--steps", "8", "--out"]
    main([*flat_run, str(tmp_path / "a"), "--set", "flat_graph=scale_free"])
    main([*flat_run, str(tmp_path / "b"), "--config", str(tmp_path / "a" / "config.toml")])
    a, b = (pd.read_parquet(tmp_path / n / "flat.parquet") for n in "ab")
    pd.testing.assert_frame_equal(a, b)


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--set", "pi_o=-1"], "'pi_o'"),
        (["--set", "nonsense=1"], "'nonsense'"),
        (["--set", "n_organizations=0"], "[1, inf)"),
        (["--steps", "0"], "--steps"),
    ],
)
def test_bad_input_is_one_line_exit_2_no_traceback(tmp_path, args, needle):
    proc = subprocess.run(
        [sys.executable, "-m", "dataspace_abm.cli", "run", "--out", str(tmp_path), *args],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0] and "Traceback" not in proc.stderr
    assert not list(tmp_path.iterdir())  # nothing was run or written
