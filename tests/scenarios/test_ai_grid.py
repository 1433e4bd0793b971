"""The AI-and-grid scenario: energy balance, the published orderings, the data space."""

import numpy as np
import pandas as pd
import pytest

from dataspace_abm import HolarchyModel, ParameterError
from dataspace_abm.scenarios.ai_grid.series import GridSeriesError, load_grid_series

SMALL = dict(scenario="ai_grid", n_organizations=4, organs_per_organization=4, cells_per_organ=16)
FOUR_DAYS = 4 * 96  # 15-minute steps


def run(steps=FOUR_DAYS, rng=1, **kw):
    model = HolarchyModel(rng=rng, **{**SMALL, **kw})
    return model, model.run(steps)


@pytest.mark.parametrize("mode", ["landscape", "command", "flat", "autonomous"])
def test_energy_balances_every_step(mode):
    model, t = run(steps=200, mode=mode)
    np.testing.assert_allclose(t.fleet_energy, t.fleet_renewable + t.fossil_energy, rtol=1e-12)
    np.testing.assert_allclose(
        t.renewable_absorbed + t.curtailment, t.renewable_supply, rtol=1e-12, atol=1e-9
    )
    np.testing.assert_allclose(t.emissions, 0.45 * t.fossil_energy, rtol=1e-12)
    assert (t.curtailment >= -1e-9).all() and (t.fossil_energy >= -1e-9).all()
    assert t.renewable_supply.gt(0).any() and t.target.between(0, 1).all()
    assert (model.state.levels[0].x >= 0).all() and (model.state.levels[0].x <= 1).all()


def test_solar_matches_its_capacity_factor():
    model = HolarchyModel(rng=1, **SMALL)
    env = model.environment
    solar = np.mean([env.solar(t) for t in range(96 * 10)])
    assert solar == pytest.approx(2.0 * 0.24, rel=0.02)  # capacity x factor


def test_cheaper_gpus_give_training_no_less_renewable_share():
    """Claim 4 (docs/odd.md): training follows the surplus only when GPUs are cheap."""
    shares = [run(gpu_cost=c)[1]["training_renewable_share"].iloc[-1] for c in (0.1, 0.5, 2.5)]
    assert shares[0] >= shares[1] >= shares[2]
    assert shares[0] > shares[2] + 0.05


def test_wider_coordination_cuts_no_fewer_emissions():
    """Claim 5: Lin & Chien's ordering: one data centre < an operator's group < grid-wide."""
    cuts = [
        run(coordination_scope=s)[1]["emission_cut"].iloc[-1]
        for s in ("organ", "organization", "society")
    ]
    assert 0 < cuts[0] <= cuts[1] <= cuts[2]


def test_stricter_trust_sends_no_more_lateral_bits_and_sharing_sharpens_the_view():
    bits, errors = [], []
    for threshold in (0.0, 0.4, 0.8, 1.1):
        model = HolarchyModel(rng=1, **SMALL, coordination_scope="organization", pi_env=4.0,
                              trust_threshold=threshold)  # fmt: skip
        seen = []
        for _ in range(96):
            model.step()
            orgs = model.state.levels[2]
            seen.append(np.abs(orgs.eta[:, 0] - model.target[0]).mean())
        bits.append(model.table["bits_lateral"].sum())
        errors.append(np.mean(seen))
    assert bits == sorted(bits, reverse=True) and bits[0] > 0 and bits[-1] == 0
    assert errors[0] < 0.7 * errors[-1]  # pooled with 3 partners: sd halves


def windy(tmp_path):
    """A region with renewable power to spare all day: T = 1 until an event asks for less."""
    rows = "\n".join(f"{h},0,100,0" for h in range(24))
    return str(write(tmp_path, "hour,solar_mw,wind_mw,other_load_mw\n" + rows))


@pytest.mark.parametrize("mode", ["landscape", "command"])
def test_demand_response_event_asks_a_quarter_less_and_the_fleet_cuts(tmp_path, mode):
    """Emerald AI (2025): 25 % less for 3 hours at a grid peak. Command meets it within an
    hour; landscape shaping, with its soft default landscapes, moves the same way, slower
    (docs/experiments/demand_response)."""
    start = 96 + 72  # 18:00 on the second day
    model, t = run(steps=start + 12, dr_at=start, gpu_cost=0.25, grid_series=windy(tmp_path),
                   mode=mode)  # fmt: skip
    t = t.set_index("step")
    cells = model.state.levels[0]
    level = model.environment.dr_level
    assert t.loc[start - 1, "target"] == 1.0
    assert t.loc[start : start + 11, "target"].eq(0.75 * level).all()
    before = t.loc[start - 1, "fleet_energy"]
    assert t.loc[start + 11, "fleet_energy"] < 0.97 * before
    if mode == "command":
        assert (t.loc[start + 4 : start + 11, "fleet_energy"] <= 0.8 * before).all()
    assert (cells.x >= 0).all()


def test_the_scenario_runs_the_same_on_both_engines():
    a = HolarchyModel(rng=2, **SMALL, p_loss=0.1, coordination_scope="organization",
                      pi_env=4.0, trust_threshold=0.5).run(60)  # fmt: skip
    b = HolarchyModel(rng=2, **SMALL, p_loss=0.1, coordination_scope="organization",
                      pi_env=4.0, trust_threshold=0.5, engine="agents").run(60)  # fmt: skip
    pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-9, atol=1e-9)


def write(tmp_path, text):
    path = tmp_path / "grid.csv"
    path.write_text(text)
    return path


def test_own_hourly_series_drives_the_grid(tmp_path):
    rows = "\n".join(f"{h},{3.0 if 9 <= h % 24 <= 15 else 0.0},1.0,2.0" for h in range(48))
    path = write(tmp_path, "hour,solar_mw,wind_mw,other_load_mw\n" + rows)
    model, t = run(steps=96, grid_series=str(path))
    fleet_mw = 256 * 10 / 1000
    noon = t.step == 48  # 12:00
    assert t.loc[noon, "renewable_supply"].item() == pytest.approx(4.0 * 1000 * 0.25)
    assert t.loc[noon, "target"].item() == pytest.approx(min(1, 2.0 / fleet_mw / 1.25), rel=0.01)


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("hour,solar_mw,wind_mw,other_load_mw\n0,1,1,1\n2,1,1,1\n", "hour 1 is missing"),
        ("hour,solar_mw,wind_mw,other_load_mw\n0,1,-3,1\n", "'wind_mw' = -3 is negative"),
        ("hour,solar_kw,wind_mw,other_load_mw\n0,1,1,1\n", "'solar_kw' is in the wrong unit"),
        ("hour,solar_mw,wind_mw\n0,1,1\n", "missing column 'other_load_mw'"),
        (
            "hour,solar_mw,wind_mw,other_load_mw\n0,1,x,1\n",
            "'wind_mw' = 'x' is not a finite number",
        ),
        ("solar_mw,wind_mw,other_load_mw\n1,1,1\n", "no column 'hour'"),
    ],
)
def test_bad_series_get_their_documented_errors(tmp_path, text, needle):
    path = write(tmp_path, text)
    with pytest.raises(GridSeriesError, match=needle.replace("(", r"\(")):
        load_grid_series(path)
    with pytest.raises(ParameterError, match="grid_series"):
        HolarchyModel(**SMALL, grid_series=str(path))


def test_missing_series_file_is_refused(tmp_path):
    with pytest.raises(ParameterError, match="cannot be read"):
        HolarchyModel(**SMALL, grid_series=str(tmp_path / "nope.csv"))
