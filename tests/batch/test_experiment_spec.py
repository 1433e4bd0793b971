"""Experiment specs: parsing, designs and their sizes, and bad specs refused before any run."""

import subprocess
import sys
from pathlib import Path

import pytest

from dataspace_abm.batch.designs import expected_size
from dataspace_abm.batch.spec import SpecError, load_spec, parse_spec
from dataspace_abm.cli import main

ROOT = Path(__file__).resolve().parents[2]
BASE = """
[fixed]
n_organizations = 2
organs_per_organization = 2
cells_per_organ = 2
[run]
steps = 10
"""


def spec(extra: str, base: str = BASE):
    return parse_spec(base + extra)


def test_grid_is_the_product_of_the_sweeps_and_combinations():
    s = spec(
        """
[sweep]
mode = ["landscape", "command", "flat"]
gain = {start = 0.0, stop = 1.0, step = 0.25}
[[combinations]]
label = "small"
d = 1
[[combinations]]
label = "large"
d = 3
[replications]
count = 4
"""
    )
    assert [sw.values for sw in s.sweeps][1] == (0.0, 0.25, 0.5, 0.75, 1.0)  # stop included
    assert len(s.points) == 2 * 3 * 5 and s.seeds == (1, 2, 3, 4)
    assert {p.label for p in s.points} == {"small", "large"}
    assert s.points[-1].values == {"d": 3, "mode": "flat", "gain": 1.0}
    assert s.varied == ("mode", "gain", "d")


def test_explicit_seeds_and_keep_and_stop_are_read():
    s = spec(
        """
[replications]
seeds = [5, 9]
[output]
measures = ["tracking_error"]
keep = 5
"""
    )
    assert s.seeds == (5, 9) and s.keep_every == 5 and not s.final_only
    assert len(s.points) == 1  # no sweep: one point
    s = spec('[output]\nkeep = "final"\n')
    assert s.final_only and s.keep_every == 10


@pytest.mark.parametrize(
    ("kind", "options", "size"),
    [
        ("sobol", "", lambda n, d: n * (d + 2)),
        ("sobol", "second_order = true", lambda n, d: n * (2 * d + 2)),
        ("morris", "levels = 4", lambda n, d: n * (d + 1)),
        ("lhs", "", lambda n, d: n),
    ],
)
def test_sampling_design_sizes_match_salib_formulas(kind, options, size):
    s = spec(
        f"""
[design]
kind = "{kind}"
samples = 8
{options}
[sweep]
gain = {{low = 0.0, high = 1.0}}
pi_o = {{low = 1.0, high = 100.0, log = true}}
header_bits = {{low = 16, high = 128}}
"""
    )
    assert len(s.points) == size(8, 3) == expected_size(3, s.design)
    for p in s.points:
        assert 0 <= p.values["gain"] <= 1 and 1 <= p.values["pi_o"] <= 100
        assert isinstance(p.values["header_bits"], int)


def test_sampling_is_seeded_and_crossed_with_combinations():
    text = """
[design]
kind = "lhs"
samples = 5
[sweep]
gain = {low = 0.0, high = 1.0}
[[combinations]]
mode = "landscape"
[[combinations]]
mode = "command"
"""
    a, b = spec(text), spec(text)
    assert [p.values for p in a.points] == [p.values for p in b.points]
    assert len(a.points) == 10 and a.points[0].values["gain"] == a.points[5].values["gain"]


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("[fixed\nsteps = 3", "toml"),
        ("[sweep]\nnonsense = [1, 2]", "sweep.nonsense"),
        ("[sweep]\ngain = []", "sweep.gain"),
        ("[sweep]\ngain = {start = 1.0, stop = 0.0, step = 0.5}", "sweep.gain"),
        ("[sweep]\npi_o = [1.0, -2.0]", "sweep.pi_o[1]"),
        ("[sweep]\ngain = {low = 0, high = 1}", "sweep.gain"),
        ("[sweep]\nn_organizations = [1, 2]", "sweep.n_organizations"),
        ("[output]\nkeep = 3", "output.keep"),
        ('[output]\nmeasures = ["tracking", "bits_total"]', "output.measures[0]"),
        ("[design]\nkind = 'sobol'\nsamples = 6\n[sweep]\ngain = {low=0,high=1}", "design.samples"),
        ("[replications]\ncount = 0", "replications.count"),
        ("[sweep]\ncollect_every = [1, 2]", "sweep.collect_every"),
        ("[experiment]\nmodel = 'no.such:Model'", "experiment.model"),
        ("[experiment]\nmodel = 'holarchy'\nscenario = 'holarchy'", "experiment.scenario"),
        ("[figures]\nx = 1", "figures"),
        ('[[figures]]\nx = "gain"\ny = "tracking_error"', "figures[0].x"),
        ("[bogus]\na = 1", "bogus"),
        ('[derived.rec]\nmeasure = "tracking_error"\nstat = "recovery_time"', "derived.rec.at"),
        ("[sweep]\nmode = ['flat']\nflat_degree = [4, 8]", "sweep.flat_degree"),
    ],
)
def test_bad_specs_name_the_key(text, key):
    with pytest.raises(SpecError) as err:
        spec(text)
    assert err.value.key == key
    assert "\n" not in str(err.value)


def test_every_combination_is_checked_before_any_run():
    # fine alone, but with 8 cells flat needs degree < 8: the last combination fails
    with pytest.raises(SpecError, match=r"combinations\[1\]\.flat_degree.*flat_degree"):
        spec(
            """
[sweep]
mode = ["landscape", "flat"]
[[combinations]]
flat_degree = 4
[[combinations]]
flat_degree = 8
"""
        )


def test_cli_refuses_a_malformed_spec_in_one_line_before_any_run(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("[run\nsteps = 3\n")
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "dataspace_abm.cli", "experiment", str(path), "--out", str(out)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "malformed TOML" in lines[0] and str(path) in lines[0]
    assert not out.exists()


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("[run]\nsteps = 3\n[sweep]\nbogus = [1]\n", "sweep.bogus: parameter 'bogus'"),
        ("[run]\nsteps = 3\n[sweep]\ngain = []\n", "sweep.gain: empty sweep"),
        ("[run]\nsteps = 3\n", "--workers = 0"),
    ],
)
def test_cli_refuses_bad_specs_and_options_in_one_line(tmp_path, capsys, text, needle):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    out = tmp_path / "out"
    args = ["experiment", str(path), "--out", str(out)]
    assert main([*args, "--workers", "0"] if "workers" in needle else args) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0]
    assert not out.exists()


def test_cli_refuses_an_unreachable_scheduler_before_any_run(tmp_path):
    import socket

    with socket.socket() as sock:  # a free port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    out = tmp_path / "out"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "dataspace_abm.cli",
            "experiment",
            str(ROOT / "experiments" / "control_regimes_quick.toml"),
            "--scheduler",
            f"tcp://127.0.0.1:{port}",
            "--connect-timeout",
            "0.5",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "--scheduler" in lines[0] and "cannot connect" in lines[0]
    assert not out.exists()


def test_headline_specs_validate():
    for path in sorted((ROOT / "experiments").glob("*.toml")):
        s = load_spec(path)
        assert s.points and s.figures, path


def test_scenario_measures_need_the_scenario():
    """The ai_grid measures can be kept where every run sets scenario = "ai_grid"."""
    base = """
[fixed]
{fixed}
[run]
steps = 10
[output]
measures = ["emission_cut", "tracking_error"]
"""
    spec = parse_spec(base.format(fixed='scenario = "ai_grid"'))
    assert spec.measures == ("emission_cut", "tracking_error")
    with pytest.raises(SpecError, match="only with fixed.scenario = 'ai_grid'"):
        parse_spec(base.format(fixed=""))
    default = parse_spec(base.format(fixed="").replace('"emission_cut", ', ""))
    assert default.measures == ("tracking_error",)
    everything = parse_spec('[fixed]\nscenario = "ai_grid"\n[run]\nsteps = 10\n')
    assert "training_renewable_share" in everything.measures


def test_experiment_scenario_still_names_the_model_with_a_deprecation_note():
    with pytest.warns(DeprecationWarning, match="experiment.model"):
        spec = parse_spec('[experiment]\nscenario = "holarchy"\n[run]\nsteps = 3\n')
    assert spec.model == "holarchy"


GROUPS = """
[experiment]
name = "groups"
[sweep]
mode = ["landscape", "command"]
[combinations]
size = [
    { label = "small", n_organizations = 2, organs_per_organization = 2, cells_per_organ = 2 },
    { label = "large", n_organizations = 2, organs_per_organization = 3, cells_per_organ = 4 },
]
niches = [
    { label = "static", niche = "static" },
    { label = "daily 20", niche = "daily", niche_period = 20 },
    { label = "daily 50", niche = "daily", niche_period = 50 },
]
[run]
steps = 5
"""


def test_combination_groups_are_crossed_and_named():
    spec = parse_spec(GROUPS)
    assert spec.groups == ("size", "niches")
    assert len(spec.points) == 2 * 3 * 2
    labels = {p.label for p in spec.points}
    assert "large, daily 20" in labels and len(labels) == 6
    point = next(p for p in spec.points if p.label == "small, daily 50")
    assert point.groups == {"size": "small", "niches": "daily 50"}
    assert point.values["niche_period"] == 50 and point.values["cells_per_organ"] == 2


def test_a_parameter_in_two_groups_is_refused():
    text = GROUPS.replace('label = "static", niche', 'label = "static", cells_per_organ = 3, niche')
    with pytest.raises(SpecError, match=r"combinations.niches\[0\].cells_per_organ"):
        parse_spec(text)


def test_panels_by_a_column_only_where_they_are_drawn():
    base = GROUPS + '\n[[figures]]\nname = "f"\nx = "niches"\ny = "tracking_error"\n'
    with pytest.raises(SpecError, match=r"figures\[0\].col: panels by a column are for"):
        parse_spec(base + 'col = "size"\n')


def test_a_map_needs_a_row_and_a_hue():
    base = GROUPS + '\n[[figures]]\nname = "m"\nkind = "map"\nx = "niches"\ny = "tracking_error"\n'
    with pytest.raises(SpecError, match=r"figures\[0\].row: a map needs row"):
        parse_spec(base + 'hue = "mode"\n')
    with pytest.raises(SpecError, match=r"figures\[0\].hue: a map needs hue"):
        parse_spec(base + 'row = "size"\n')
    spec = parse_spec(
        base + 'row = "size"\nhue = "mode"\namong = ["landscape"]\n[labels]\nmode = "regime"\n'
    )
    figure = spec.figures[0]
    assert (figure.row, figure.among, figure.words("mode")) == ("size", ("landscape",), "regime")
    assert figure.words("niches") == "niches"
