"""Morphogenesis ("Knowing one's place", Friston et al. 2015): the form, the cells'
inference, the assembly, its failure when the signals are disturbed, and the engines."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dataspace_abm.core.equations import message_bits
from dataspace_abm.core.parameter import ParameterError
from dataspace_abm.scenarios.morphogenesis import MorphogenesisModel, named_form
from dataspace_abm.scenarios.morphogenesis import inference as inf
from dataspace_abm.scenarios.morphogenesis.form import field

ASSEMBLED = 3000  # steps of 0.01: 30 time units, as the 32 bins of SPM's demo
# Of the form's spacing (1): a cell within half of it from its place is nearer its own
# place than any other (places are at least 1 apart), so the form is told apart cell by cell.
TOLERANCE = 0.5


def test_the_papers_form_has_eight_places_four_signals_centred_one_apart():
    form = named_form("paper")
    assert (form.n, form.m, form.spacing) == (8, 4, 1.0)
    assert np.allclose(form.positions.mean(axis=1), 0.0)
    assert (form.signals[0] == 1).all()  # signal 1 is released everywhere
    assert len({tuple(c) for c in form.signals.T}) == 4  # four kinds: types 1-4
    assert named_form("large").n == 16


@given(
    st.floats(0.0, 5.0),
    st.floats(0.1, 3.0),
    st.floats(0.0, 2.0),
)
def test_a_signal_falls_off_exponentially_and_sources_add_up(d, decay, amount):
    source = np.array([[0.0], [0.0]])
    at = np.array([[d], [0.0]])
    one = field(source, np.array([[amount]]), at, decay)
    assert one[0, 0] == pytest.approx(amount * np.exp(-decay * d))
    two = field(np.hstack([source, source]), np.array([[amount, 1.0]]), at, decay)
    assert two[0, 0] == pytest.approx(one[0, 0] + np.exp(-decay * d))


def _cell_free_energy(model, col, v=None, x=None, s=None):
    """Cell ``col``'s free energy with its own log-odds, position or release replaced."""
    V, X, S = model.v.copy(), model.x.copy(), model.s.copy()
    if v is not None:
        V[:, col] = v
    if x is not None:
        X[:, col] = x
    if s is not None:
        S[:, col] = s
    p, b, cols = model.p, 1.0, np.array([col])
    e = inf.sensed(X, S, model.alive, cols, p["decay"], b) - inf.expected(
        model.form, inf.softmax(V[:, cols]), b
    )
    return float(inf.free_energy(e, V[:, cols], p["pi_sense"], p["pi_identity"])[0])


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 10_000), st.integers(0, 7), st.integers(0, 400))
def test_the_gradients_are_those_of_the_free_energy(seed, col, steps):
    model = MorphogenesisModel(seed=seed)
    model.run(steps)
    model.elapsed = 10.0  # the signal built up: ramp 1
    p, cols = model.p, np.array([col])
    q = inf.softmax(model.v[:, cols])
    e = inf.sensed(model.x, model.s, model.alive, cols, p["decay"], 1.0) - inf.expected(
        model.form, q, 1.0
    )
    dv = inf.belief_gradient(
        model.form, q, model.v[:, cols], e, 1.0, p["pi_sense"], p["pi_identity"]
    )
    dx, ds = inf.action_gradient(
        model.x, model.s, model.alive, cols, e, p["decay"], 1.0, p["pi_sense"]
    )
    h = 1e-6
    for name, grad, base in (("v", dv, model.v), ("x", dx, model.x), ("s", ds, model.s)):
        for k in range(grad.shape[0]):
            up, down = base[:, col].copy(), base[:, col].copy()
            up[k] += h
            down[k] -= h
            numeric = (
                _cell_free_energy(model, col, **{name: up})
                - _cell_free_energy(model, col, **{name: down})
            ) / (2 * h)
            assert grad[k, 0] == pytest.approx(numeric, rel=1e-4, abs=1e-5), (name, k)


@pytest.fixture(scope="module")
def assembled():
    models = []
    for seed in range(10):
        model = MorphogenesisModel(seed=seed)
        model.run(ASSEMBLED)
        models.append(model)
    return models


def test_identities_converge_to_a_permutation_and_cells_reach_the_form(assembled):
    formed = [m for m in assembled if m.is_permutation()]
    assert len(formed) >= 9  # the issue asks for 9 of 10 seeds; here 10 of 10
    for model in formed:
        assert model.form_error() < TOLERANCE * model.form.spacing
    start = assembled[0].table.iloc[0]
    assert start["form_error"] > 2 * model.form.spacing  # they all started at the centre


def test_free_energy_falls_once_the_signal_has_built_up(assembled):
    """The extracellular signal builds up as 1 - exp(-2 t): while it does, cells not yet
    in place sense ever more of what they fail to predict, so free energy first rises
    (to about 40). From t = 5 on (ramp above 0.99995) it never increases."""
    for model in assembled:
        free = model.table["free_energy"].to_numpy()
        assert free[1] < 0.1 and free.max() > 10.0  # at first only the prior on v
        assert (np.diff(free[500:]) <= 1e-12).all()
        assert free[-1] < 0.25 * free.max()


@pytest.mark.parametrize("keep", ["left", "right"])
def test_a_form_cut_in_half_at_t_8_regrows(keep):
    """As SPM's split: at t = 8 the cells of one half leave, the other half's cells divide,
    the daughters re-differentiate into the missing places."""
    for seed in range(5):
        model = MorphogenesisModel(seed=seed)
        model.run(800)
        model.regenerate(keep)
        assert model.form_error() > 2 * model.form.spacing  # half the places are empty
        assert len(model.agents) == model.form.n  # the daughters are agents
        model.run(ASSEMBLED)
        assert model.is_permutation()
        assert model.form_error() < TOLERANCE * model.form.spacing


def test_a_weaker_identity_prior_sharpens_the_form_but_it_no_longer_regrows():
    """The prior on the identity log-odds trades the form's sharpness against its
    plasticity: at e^-6 the cells sit 4-5x nearer their places than at SPM's e^-2, and
    their identities are so certain that a daughter never leaves its mother's."""
    weak = float(np.exp(-6))
    sharp = MorphogenesisModel(seed=1, pi_identity=weak)
    sharp.run(ASSEMBLED)
    default = MorphogenesisModel(seed=1)
    default.run(ASSEMBLED)
    assert sharp.is_permutation() and sharp.form_error() < 0.25 * default.form_error()
    cut = MorphogenesisModel(seed=1, pi_identity=weak)
    cut.run(800)
    cut.regenerate("left")
    cut.run(ASSEMBLED)
    assert not cut.is_permutation() and cut.form_error() > 2 * cut.form.spacing


@pytest.mark.parametrize("gain", [0.0, 0.5])
def test_a_disturbed_signal_leaves_the_form_malformed(gain):
    """The cells sense the others' signals at ``gain`` times their strength while their
    model expects them whole: they cannot tell their places apart."""
    for seed in range(3):
        model = MorphogenesisModel(seed=seed, signal_gain=gain)
        model.run(ASSEMBLED)
        assert not model.is_permutation()
        assert model.form_error() > 2 * model.form.spacing


def test_the_engines_agree_and_every_cell_is_a_mesa_agent():
    vectorized = MorphogenesisModel(seed=4)
    agents = MorphogenesisModel(seed=4, engine="agents")
    vectorized.run(300)
    agents.run(300)
    for name in ("v", "x", "s"):
        assert np.abs(getattr(vectorized, name) - getattr(agents, name)).max() < 1e-9
    assert len(agents.agents) == agents.form.n
    cell = agents.cells[3]
    assert np.array_equal(cell.position, agents.x[:, 3]) and cell.belief.sum() == pytest.approx(1)
    assert cell.identity == int(np.argmax(agents.v[:, 3]))


def test_same_seed_same_table_and_the_accounting_adds_up():
    a, b = MorphogenesisModel(seed=7), MorphogenesisModel(seed=7)
    ta, tb = a.run(200), b.run(200)
    assert ta.equals(tb)
    m = a.form.m
    per_step = a.form.n * (a.form.n - 1) * message_bits(m, 32, 64)
    assert (ta["bits"].iloc[1:] == per_step).all() and ta["bits"].iloc[0] == 0
    energy = ta[["energy_action", "energy_inference", "energy_communication"]].to_numpy().sum()
    assert a.totals["energy"] == pytest.approx(energy)
    assert a.totals["bits"] == ta["bits"].sum()


@pytest.mark.parametrize(
    ("overrides", "needle"),
    [
        ({"dt": 0.05}, "'dt' = 0.05 is invalid: allowed a finite number in [0.0001, 0.02]"),
        ({"form": "square"}, "'form'"),
        ({"signal_gain": -1.0}, "'signal_gain'"),
        ({"seed": 1.5}, "'seed'"),
        ({"pi_sense": float("nan")}, "'pi_sense'"),
        ({"petals": 5}, "'petals'"),
    ],
)
def test_bad_parameters_are_refused_before_any_work(overrides, needle):
    with pytest.raises(ParameterError) as caught:
        MorphogenesisModel(**overrides)
    assert needle in str(caught.value)


def test_the_reports_script_draws_its_figures_and_summary(tmp_path):
    from dataspace_abm.scenarios.morphogenesis.figures import draw

    summary = draw(tmp_path, seeds=range(1), priors=(-2.0, -6.0))
    for name in ("assembly", "regrowth", "disturbed_signal", "identity_prior"):
        png = tmp_path / f"{name}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
    assert set(summary["experiment"]) >= {"assembly", "regrowth, left kept", "prior, regrowth"}
    assert (tmp_path / "summary.csv").read_text().startswith("experiment,seed,")


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["--set", "dt=0.5"], "'dt' = 0.5"),
        (["--set", "petals=3"], "'petals'"),
        (["--cut", "left", "--cut-at", "5000"], "'--cut-at' = 5000"),
        (["--steps", "-1"], "'--steps'"),
    ],
)
def test_the_command_refuses_bad_input_in_one_line(argv, needle, tmp_path, capsys):
    from dataspace_abm.cli import main

    assert main(["morphogenesis", *argv, "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert needle in err and err.count("\n") == 1 and "Traceback" not in err
    assert not (tmp_path / "out").exists()  # refused before any work


@settings(max_examples=20, deadline=None)
@given(st.lists(st.one_of(st.integers(1, 60), st.sampled_from(["left", "right"])), max_size=6))
def test_cuts_and_steps_keep_agents_columns_and_books_together(plan):
    """Whatever the order of steps and cuts: one agent a living column, daughters where
    cells left, and the totals the sums of the table."""
    model = MorphogenesisModel(seed=1)
    for move in plan:
        if isinstance(move, str):
            before = int(model.alive.sum())
            daughters = model.regenerate(move)
            assert len(daughters) == before // 2 and int(model.alive.sum()) == 2 * (before // 2)
        else:
            model.run(move)
        cols = sorted(cell.col for cell in model.agents)
        assert cols == list(np.flatnonzero(model.alive))
    table = model.table
    assert model.totals["bits"] == table["bits"].sum()
    energy = table[["energy_action", "energy_inference", "energy_communication"]].to_numpy()
    assert model.totals["energy"] == pytest.approx(energy.sum())
    assert np.isfinite(model.x).all() and np.isfinite(model.v).all()


# --- the paper's figures: its perturbations (Fig. 5), the demo's build-up, the Laplace term


@settings(max_examples=15, deadline=None)
@given(
    st.integers(0, 10_000),
    st.integers(0, 7),
    st.floats(0.2, 3.0),
    st.integers(0, 2),
    st.floats(0.2, 3.0),
    st.floats(0.2, 3.0),
    st.integers(0, 4),
)
def test_the_gradients_hold_with_a_sense_scaled(seed, col, position, axis, release, signal, index):
    """Whatever sense is scaled (the position, one coordinate, the release, one signal or
    all), action descends the free energy of what the cell then senses (at a state of an
    intact run: some scaled runs diverge)."""
    change = {"position_gain": position, "position_axis": axis, "release_gain": release}
    gains = MorphogenesisModel(signal_gain=signal, signal_index=index, **change).gains
    model = MorphogenesisModel(seed=seed)
    model.run(150)
    p, cols = model.p, np.array([col])

    def free(x=None, s=None):
        X, S = model.x.copy(), model.s.copy()
        if x is not None:
            X[:, col] = x
        if s is not None:
            S[:, col] = s
        e = inf.sensed(X, S, model.alive, cols, p["decay"], 1.0, **gains)
        e = e - inf.expected(model.form, inf.softmax(model.v[:, cols]), 1.0)
        return float(inf.free_energy(e, model.v[:, cols], p["pi_sense"], p["pi_identity"])[0])

    e = inf.sensed(model.x, model.s, model.alive, cols, p["decay"], 1.0, **gains)
    e = e - inf.expected(model.form, inf.softmax(model.v[:, cols]), 1.0)
    dx, ds = inf.action_gradient(
        model.x, model.s, model.alive, cols, e, p["decay"], 1.0, p["pi_sense"], **gains
    )
    h = 1e-6
    for name, grad, base in (("x", dx, model.x), ("s", ds, model.s)):
        for k in range(grad.shape[0]):
            up, down = base[:, col].copy(), base[:, col].copy()
            up[k] += h
            down[k] -= h
            numeric = (free(**{name: up}) - free(**{name: down})) / (2 * h)
            assert grad[k, 0] == pytest.approx(numeric, rel=1e-4, abs=1e-5), (name, k)


def test_a_sense_scaled_by_one_leaves_the_run_as_it_was():
    plain = MorphogenesisModel(seed=2)
    scaled = MorphogenesisModel(seed=2, signal_index=3, position_axis=1, build_up_time=1.0)
    plain.run(300)
    scaled.run(300)
    for name in ("v", "x", "s"):
        assert np.array_equal(getattr(plain, name), getattr(scaled, name))
    gains = MorphogenesisModel(signal_gain=0.25, signal_index=2, position_gain=2.0).gains
    assert np.array_equal(gains["gain"], [1.0, 0.25, 1.0, 1.0]) and gains["position_gain"] == 2.0


@pytest.mark.parametrize(
    ("overrides", "needle"),
    [
        ({"signal_index": 5}, "'signal_index'"),
        ({"position_axis": 3}, "'position_axis'"),
        ({"release_gain": -0.5}, "'release_gain'"),
        ({"build_up_time": 0.0}, "'build_up_time'"),
    ],
)
def test_the_new_senses_and_build_up_refuse_bad_values(overrides, needle):
    with pytest.raises(ParameterError) as caught:
        MorphogenesisModel(**overrides)
    assert needle in str(caught.value)


def _believed(model):
    q = inf.softmax(model.v[:, model.alive])
    return q.argmax(axis=0), q.max(axis=0)


def test_the_papers_dysmorphogenesis_malforms_the_form_as_its_fig_5_panels():
    """Each of the paper's Fig. 5 changes, on every cell from the start (seed 0): the
    form fails, each in its own way."""
    form = named_form("paper")
    head, three = form.signals[1] > 0, form.signals[2] > 0
    runs = {}
    for name, change in {
        "signal 2": {"signal_gain": 0.25, "signal_index": 2},
        "signal 3": {"signal_gain": 0.25, "signal_index": 3},
        "long axis": {"position_gain": 2.0, "position_axis": 1},
        "release": {"release_gain": 2.0},
    }.items():
        model = MorphogenesisModel(seed=0, **change)
        model.run(ASSEMBLED)
        assert not model.is_permutation()
        runs[name] = model
    believed, _ = _believed(runs["signal 2"])
    assert not head[believed].any()  # no cell takes a place releasing signal 2: no head
    believed, _ = _believed(runs["signal 3"])
    assert not three[believed].any() and head[believed].sum() >= 5  # those types fail alone
    x = runs["long axis"].x
    length, width = (x.std(axis=1) / form.positions.std(axis=1)).tolist()
    assert length < 0.6 < 1.0 < width  # compressed along the long axis only
    x = runs["release"].x
    radius = np.sqrt(((x - x.mean(axis=1, keepdims=True)) ** 2).sum(axis=0).mean())
    target = np.sqrt((form.positions**2).sum(axis=0).mean())
    _, certain = _believed(runs["release"])
    assert radius < 0.5 * target and certain.min() < 0.3  # atrophied, undifferentiated


def test_under_the_demos_slow_build_up_the_form_still_assembles():
    """SPM's demo builds the signal up over its whole run: ramp(30 time units) = 1 - e^-2."""
    assert inf.ramp(30.0, 30.0) == pytest.approx(1 - np.exp(-2))
    assert inf.ramp(0.5, 1.0) == inf.ramp(0.5)
    model = MorphogenesisModel(seed=0, build_up_time=30.0)
    model.run(ASSEMBLED)
    assert model.is_permutation() and model.form_error() < TOLERANCE * model.form.spacing
    free = model.table["free_energy"].to_numpy()
    assert free.argmax() > 0.9 * len(free)  # the cells' own F grows with the signal to the end


def test_the_laplace_term_is_half_the_log_determinant_of_each_cells_posterior():
    model = MorphogenesisModel(seed=5)
    model.run(500)
    p, b = model.p, inf.ramp(model.elapsed)
    q = inf.softmax(model.v)
    terms = inf.posterior_log_det(model.form, q, b, p["pi_sense"], p["pi_identity"])
    predict = np.vstack([model.form.positions, model.form.signals, b * model.form.sensed])
    for i in range(model.form.n):
        j = predict @ (np.diag(q[:, i]) - np.outer(q[:, i], q[:, i]))
        precision = p["pi_sense"] * j.T @ j + p["pi_identity"] * np.eye(model.form.n)
        assert terms[i] == pytest.approx(0.5 * np.linalg.slogdet(precision)[1])


def test_the_reports_comparison_with_the_paper_is_written(tmp_path):
    from dataspace_abm.scenarios.morphogenesis.figures import against_paper

    rows = against_paper(tmp_path, seeds=range(1))
    for name in ("timecourse", "dysmorphogenesis"):
        png = tmp_path / f"{name}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
    assert set(rows["figure"]) == {"3", "4", "5"}
    assembly = rows[rows["experiment"] == "assembly, default build-up"].iloc[0]
    assert assembly["free_energy_peak"] > 4 * assembly["free_energy_end"]  # rises, then falls
    assert assembly["laplace_end"] < assembly["laplace_first"] < assembly["laplace_peak"]
    assert (tmp_path / "against_paper.csv").read_text().startswith("figure,experiment,seed,")
