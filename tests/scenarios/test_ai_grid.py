"""The AI-and-grid scenario: energy and work balances, the published orderings, the data
space, demand response and the regions' series."""

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
    model, t = run(steps=200, mode=mode, regions=2)
    np.testing.assert_allclose(t.fleet_energy, t.fleet_renewable + t.fossil_energy, rtol=1e-12)
    np.testing.assert_allclose(
        t.renewable_absorbed + t.curtailment, t.renewable_supply, rtol=1e-12, atol=1e-9
    )
    np.testing.assert_allclose(t.emissions, 0.45 * t.fossil_energy, rtol=1e-12)
    assert (t.curtailment >= -1e-9).all() and (t.fossil_energy >= -1e-9).all()
    assert t.renewable_supply.gt(0).any() and t.target.between(0, 1).all()
    assert (model.state.levels[0].x >= 0).all() and (model.state.levels[0].x <= 1).all()


@pytest.mark.parametrize(
    "kw", [dict(), dict(mode="command", regions=2), dict(remove_at=150, remove_level="organ")]
)
def test_work_is_conserved_job_by_job(kw):
    """Work arrived = done + backlog + dropped, in total and per job; a dropped job is
    counted, never silent; the baseline gets the same jobs."""
    model, t = run(steps=250, **kw)
    env = model.environment
    for book in env.books.values():
        c = book.cols
        assert np.all(c["remaining"] >= -1e-12) and np.all(c["remaining"] <= c["work"] + 1e-12)
        done = c["work"] - c["remaining"]
        assert book.arrived == pytest.approx(float(c["work"].sum()), rel=1e-12)
        assert book.done == pytest.approx(float(done.sum()), rel=1e-9)
        dropped = float(c["remaining"][book.dropped].sum())
        assert book.lost == pytest.approx(dropped, abs=1e-9)
        assert book.arrived == pytest.approx(book.done + book.backlog + book.lost, rel=1e-9)
    last = t.iloc[-1]
    assert last.work_arrived == pytest.approx(
        last.work_done + last.training_backlog + last.work_dropped, rel=1e-9
    )
    np.testing.assert_allclose(t.training_work.iloc[1:].sum(), last.work_done, rtol=1e-9)
    run_jobs, base_jobs = env.books["run"].cols, env.books["baseline"].cols
    np.testing.assert_array_equal(run_jobs["work"], base_jobs["work"])
    if "remove_at" in kw:
        assert last.work_dropped > 0  # an organ's queue went with it, counted


def test_a_job_past_its_deadline_is_counted_once_by_its_tier():
    model, t = run(steps=300, flex50_share=0.0, mode="command")
    last = t.iloc[-1]
    tiers = [last[f"deadline_misses_flex{k}"] for k in (0, 10, 25, 50)]
    assert sum(tiers) == last.deadline_misses and tiers[3] == 0
    book = model.environment.books["run"]
    assert int(book.missed.sum()) == last.deadline_misses
    late = book.missed
    assert np.all(book.cols["deadline"][late] <= 300)
    assert t.deadline_misses.is_monotonic_increasing


def test_cheaper_gpus_buy_headroom_and_no_lower_renewable_share():
    """Claim 4 (docs/odd.md): training follows the surplus only when GPUs are cheap; the
    mechanism is the spare capacity they buy."""
    runs = [run(gpu_cost=c, day_ahead="on")[1].iloc[-1] for c in (0.01, 0.05, 2.5)]
    headroom = [r.headroom for r in runs]
    shares = [r.training_renewable_share for r in runs]
    assert headroom[0] >= headroom[1] >= headroom[2] == pytest.approx(1.25)
    assert shares[0] >= shares[1] >= shares[2] and shares[0] > shares[2] + 0.03


def test_a_day_ahead_plan_cuts_no_less_where_there_is_headroom():
    """Lin & Chien's PlanShare: shared day-ahead plans cut more than reacting in the day."""
    cuts = {
        plan: [run(rng=seed, gpu_cost=0.02, day_ahead=plan)[1].iloc[-1] for seed in (1, 2)]
        for plan in ("off", "on")
    }
    for key in ("emission_cut", "training_emission_cut"):
        off = np.mean([r[key] for r in cuts["off"]])
        on = np.mean([r[key] for r in cuts["on"]])
        assert on >= off, key
    assert all(r.plan_bits == 0 for r in cuts["off"])


def test_equal_work_charges_what_the_run_still_owes():
    """The cut is at equal work: the run's extra backlog is charged at its own emissions per
    unit of work, so deferring work past the end of a run earns nothing."""
    _, t = run(steps=200)
    last = t.iloc[-1]
    per_work = last.emissions_per_work
    debt = (last.training_backlog - last.baseline_backlog) * per_work
    expected = 1 - (t.emissions.iloc[1:].sum() + debt) / t.baseline_emissions.iloc[1:].sum()
    assert last.emission_cut == pytest.approx(expected, rel=1e-9)
    assert last.training_emission_cut == pytest.approx(
        1 - per_work / last.baseline_emissions_per_work, rel=1e-12
    )


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


EMERALD = dict(
    scenario="ai_grid", n_organizations=2, organs_per_organization=2, cells_per_organ=8,
    edge_share=0.0, hyperscale_inference=0.1, step_minutes=5, dr_at=504, dr_steps=36,
)  # fmt: skip


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_demand_response_reaches_a_quarter_less_within_15_minutes(seed):
    """Emerald AI (2025): a 32-server cluster asked for 25 % less for 3 hours at the evening
    peak, 5-minute steps. The price spike reaches the cut within 15 minutes, the event's mean
    power stays at or below the asked power, and neither inference nor the tiers lose more
    than without an event."""
    t = HolarchyModel(rng=seed, **EMERALD).run(560)
    quiet = HolarchyModel(rng=seed, **{**EMERALD, "dr_at": -1}).run(560)
    event = t.iloc[504:540]  # rows of steps 504 .. 539
    assert t.time_to_cut.iloc[-1] <= 15
    assert event.dr_power_ratio.mean() <= 0.76
    assert (
        event.inference_sla_violations.sum() <= quiet.iloc[504:540].inference_sla_violations.sum()
    )
    assert t.deadline_misses.iloc[-1] <= quiet.deadline_misses.iloc[-1] + 1
    assert np.isnan(quiet.time_to_cut.iloc[-1]) and (quiet.dr_power_ratio == 1).all()


def test_the_price_spike_is_what_makes_it_fast():
    """Without the announced spike, dual ascent alone takes longer (or never gets there)."""
    fast = HolarchyModel(rng=1, **EMERALD).run(560).time_to_cut.iloc[-1]
    slow = HolarchyModel(rng=1, **EMERALD, tilt_feedforward="off").run(560).time_to_cut.iloc[-1]
    assert fast <= 15 and (np.isnan(slow) or slow > fast)


def test_the_engines_agree():
    kw = dict(SMALL, regions=2, day_ahead="on", dr_at=100)
    tables = [
        HolarchyModel(rng=3, engine=e, **kw).run(150) for e in ("vectorized", "numpy", "agents")
    ]
    for other in tables[1:]:
        pd.testing.assert_frame_equal(tables[0], other, check_exact=False, rtol=1e-9, atol=1e-9)


def write(tmp_path, text, name="grid.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def regions_csv(tmp_path, rows=None):
    rows = rows or [f"{r},{h},{10 * h},{5},{50}" for r in ("east", "west") for h in range(24)]
    return write(tmp_path, "region,hour,solar_mw,wind_mw,other_load_mw\n" + "\n".join(rows))


def test_a_regional_series_reads_and_drives_each_region(tmp_path):
    path = regions_csv(tmp_path)
    table = load_grid_series(path, regions=2)
    assert table.shape == (2, 24, 3) and table[1, 5, 0] == 50.0
    model = HolarchyModel(rng=1, **SMALL, regions=2, grid_series=str(path))
    grid = model.environment.grid
    fleet_mw = model.environment.fleet_kw / 1000
    np.testing.assert_allclose(grid.solar(4 * 7), [70 / fleet_mw, 70 / fleet_mw])


@pytest.mark.parametrize(
    "rows, regions, message",
    [
        (None, 3, "2 regions (east, west), but the model has 3"),
        ([f"east,{h},1,1,1" for h in range(24)] + [f"west,{h},1,1,1" for h in range(23)], 2,
         "different numbers of hours (east 24, west 23)"),
        ([f"east,{h},1,1,1" for h in range(24)] + ["west,0,1,1,1", "west,2,1,1,1"], 2,
         "region 'west': hour 1 is missing (row 27 has hour 2)"),
        ([f"east,{h},1,1,1" for h in range(24)] + ["west,0,-1,1,1"], 2,
         "region 'west': row 26, column 'solar_mw' = -1 is negative"),
    ],
)  # fmt: skip
def test_bad_regional_series_are_refused_naming_what_is_wrong(tmp_path, rows, regions, message):
    path = regions_csv(tmp_path, rows)
    with pytest.raises(GridSeriesError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_grid_series(path, regions=regions)
    with pytest.raises(ParameterError, match="grid_series"):
        HolarchyModel(rng=1, **SMALL, regions=regions, grid_series=str(path))


def test_a_series_without_regions_is_refused_for_two(tmp_path):
    rows = "\n".join(f"{h},0,100,0" for h in range(24))
    path = write(tmp_path, "hour,solar_mw,wind_mw,other_load_mw\n" + rows)
    assert load_grid_series(path).shape == (1, 24, 3)
    with pytest.raises(GridSeriesError, match="no column 'region', but the model has 2"):
        load_grid_series(path, regions=2)


@pytest.mark.parametrize(
    "text, message",
    [
        ("hour,solar_mw,wind_mw\n0,1,1\n", "missing column 'other_load_mw'"),
        ("hour,solar_kw,wind_mw,other_load_mw\n0,1,1,1\n", "'solar_kw' is in the wrong unit"),
        ("hour,solar_mw,wind_mw,other_load_mw\n0,1,1,1\n2,1,1,1\n", "hour 1 is missing"),
        ("hour,solar_mw,wind_mw,other_load_mw\n0,x,1,1\n", "row 2, column 'solar_mw' = 'x'"),
        ("solar_mw,wind_mw,other_load_mw\n1,1,1\n", "no column 'hour'"),
    ],
)
def test_bad_series_are_refused_naming_what_is_wrong(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(GridSeriesError, match=message):
        load_grid_series(path)


def test_scenario_parameters_are_checked():
    with pytest.raises(ParameterError, match="headroom"):
        HolarchyModel(rng=1, **SMALL, headroom=0.5)
    with pytest.raises(ParameterError, match="flex0_share"):
        HolarchyModel(rng=1, **SMALL, flex0_share=0, flex10_share=0, flex25_share=0,
                      flex50_share=0)  # fmt: skip
    with pytest.raises(ParameterError, match="regions"):
        HolarchyModel(rng=1, **SMALL, regions=9)


def test_solar_matches_its_capacity_factor():
    grid = HolarchyModel(rng=1, **SMALL, regions=2).environment.grid
    solar = np.mean([grid.solar(t).sum() for t in range(96 * 10)])
    assert solar == pytest.approx(2.0 * 0.24, rel=0.02)  # capacity x factor, over the regions


def test_own_hourly_series_drives_the_grid(tmp_path):
    rows = "\n".join(f"{h},{3.0 if 9 <= h % 24 <= 15 else 0.0},1.0,2.0" for h in range(48))
    path = write(tmp_path, "hour,solar_mw,wind_mw,other_load_mw\n" + rows)
    model, t = run(steps=96, grid_series=str(path))
    noon = t.step == 48  # 12:00
    assert t.loc[noon, "renewable_supply"].item() == pytest.approx(4.0 * 1000 * 0.25)
    assert model.environment.grid.surplus(48).sum() * 2.56 == pytest.approx(2.0)


def test_missing_series_file_is_refused(tmp_path):
    with pytest.raises(ParameterError, match="cannot be read"):
        HolarchyModel(**SMALL, grid_series=str(tmp_path / "nope.csv"))
