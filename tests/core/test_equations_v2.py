"""Closed forms of version 2's rule: the filter's fixed point, the preferred state, the price."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dataspace_abm.core import equations as eq

positive = st.floats(1e-3, 1e3)


@given(st.floats(1e-8, 1.0), st.floats(1e-4, 10.0))
def test_the_filter_settles_at_its_closed_form_steady_state(q, r):
    var_pred, gain = eq.filter_steady_state(q, r)
    steady = (1.0 - gain) * var_pred  # the posterior variance at the fixed point
    m, o, a = np.zeros((1, 2)), np.ones((1, 2)), np.zeros((1, 2))
    _, var = eq.filter_update(m, np.array([steady]), a, o, q, r)
    assert var[0] == pytest.approx(steady, rel=1e-9)  # a fixed point
    # from certainty the variance rises to it, from doubt it falls to it: the gain falls as
    # evidence accumulates and rises with the change the filter expects
    for start in (0.0, 100.0 * r):
        var = np.array([start])
        for _ in range(50):
            _, new = eq.filter_update(m, var, a, o, q, r)
            assert (new[0] - steady) * (var[0] - steady) >= -1e-12 * steady**2  # no overshoot
            assert abs(new[0] - steady) <= abs(var[0] - steady) + 1e-15
            var = new


def test_a_calm_world_gives_a_calm_estimate():
    """At the default noise the estimate's jitter is the filter's, far below the sensing's."""
    rng = np.random.default_rng(3)
    q, r = 1e-4, 0.1
    m, var = np.zeros((20000, 1)), np.zeros(20000)
    for _ in range(400):
        o = rng.standard_normal((20000, 1)) * np.sqrt(r)
        m, var = eq.filter_update(m, var, np.zeros_like(m), o, q, r)
    _, gain = eq.filter_steady_state(q, r)
    expected_sd = np.sqrt(r * gain / (2 - gain))  # an AR(1) with coefficient 1 - gain
    assert m.std() == pytest.approx(expected_sd, rel=0.05)
    assert m.std() < 0.2 * np.sqrt(r)


@given(positive, positive, st.floats(-5, 5), st.floats(-5, 5), st.floats(-5, 5))
def test_the_preferred_state_minimizes_the_cells_free_energy(pi_eta, pi_h, eta, b, h):
    pref = eq.preferred_state(np.array([[eta]]), pi_eta, np.array([[b]]), np.array([[h]]), pi_h)

    def f(mu):
        return 0.5 * pi_eta * (mu - eta) ** 2 - b * mu + 0.5 * pi_h * (mu - h) ** 2

    step = 1e-3 * max(1.0, abs(pref[0, 0]))
    assert f(pref[0, 0]) <= min(f(pref[0, 0] - step), f(pref[0, 0] + step)) + 1e-9
    gradient = pi_eta * (pref - eta) - b + pi_h * (pref - h)
    assert abs(gradient[0, 0]) < 1e-9 * (1 + pi_eta + pi_h) * (1 + abs(eta) + abs(b) + abs(h))


def test_without_a_well_a_cell_keeps_its_place_shifted_by_the_price():
    h, pi_h, b = np.array([[0.3, -1.0]]), np.array([2.0]), np.array([[0.5, 0.5]])
    pref = eq.preferred_state(np.zeros((1, 2)), 0.0, b, h, pi_h)
    np.testing.assert_allclose(pref, h + b / 2.0)


@given(st.integers(2, 60), st.integers(0, 10_000))
def test_the_price_that_meets_the_target_is_the_centralized_optimum(n, seed):
    rng = np.random.default_rng(seed)
    h = rng.normal(0, 1, (n, 2))
    pi_h = np.exp(rng.normal(0, 1, n))
    alive = rng.random(n) < 0.8
    alive[0] = True
    target = rng.normal(0, 2, 2)
    b = eq.optimal_tilt(h, pi_h, target, alive)
    pref = eq.preferred_state(np.zeros_like(h), 0.0, np.tile(b, (n, 1)), h, pi_h)
    best = eq.central_setpoints(h, pi_h, target, alive)
    np.testing.assert_allclose(pref[alive], best[alive], atol=1e-9)
    np.testing.assert_allclose(pref[alive].mean(axis=0), target, atol=1e-9)


def test_the_tilted_free_energy_is_the_tilt_term_plus_a_constant():
    rng = np.random.default_rng(1)
    o, eta, h, b = (rng.normal(size=(50, 2)) for _ in range(4))
    pi_eta, pi_h = rng.random(50), 0.5 + rng.random(50)
    m1, m2 = rng.normal(size=(50, 2)), rng.normal(size=(50, 2))

    def direct(m):
        return (
            0.5 * 10 * eq.sqnorm(o - m) + 0.5 * pi_eta * eq.sqnorm(m - eta)
            - np.sum(b * m, axis=1) + 0.5 * pi_h * eq.sqnorm(m - h)
        )  # fmt: skip

    def tilted(m):
        return eq.tilted_free_energy(o, m, eta, 10.0, pi_eta, b, h, pi_h)

    np.testing.assert_allclose(tilted(m1) - tilted(m2), direct(m1) - direct(m2), atol=1e-9)
    assert (tilted(m1) >= 0).all()


@settings(max_examples=200)
@given(
    st.lists(st.floats(0.0, 1.0), min_size=2, max_size=30),
    st.floats(0.0, 1.0),
    st.integers(0, 2**31),
)
def test_commands_optimum_within_bounds_meets_the_target_by_kkt(niches, target, seed):
    """With state bounds the optimum is ``clip(h + nu / pi_h, lo, hi)`` with one multiplier:
    it meets T, stays in bounds, and every cell strictly inside has moved by ``nu / pi_h``."""
    rng = np.random.default_rng(seed)
    h = np.array(niches)[:, None]
    pi_h = rng.uniform(0.5, 200.0, h.shape[0])
    alive = np.ones(h.shape[0], dtype=bool)
    s = eq.central_setpoints(h, pi_h, np.array([target]), alive, 0.0, 1.0)
    assert np.all(s >= 0.0) and np.all(s <= 1.0)
    assert s.mean() == pytest.approx(target, abs=1e-9)
    inside = (s[:, 0] > 1e-9) & (s[:, 0] < 1 - 1e-9)
    if inside.any():
        nu = (s[inside, 0] - h[inside, 0]) * pi_h[inside]
        assert np.ptp(nu) == pytest.approx(0.0, abs=1e-6 * max(1.0, np.abs(nu).max()))


def test_commands_optimum_is_the_closed_form_when_no_bound_is_in_the_way():
    h = np.array([[0.2], [0.5], [0.6]])
    pi_h = np.array([1.0, 2.0, 4.0])
    alive = np.ones(3, dtype=bool)
    free = eq.central_setpoints(h, pi_h, np.array([0.5]), alive)
    np.testing.assert_array_equal(
        eq.central_setpoints(h, pi_h, np.array([0.5]), alive, -5, 5), free
    )
