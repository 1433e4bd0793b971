"""The pure math: closed-form fixed points and properties over parameters."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from dataspace_abm.core import equations as eq

precision = st.floats(1e-6, 1e6)
value = st.floats(-100, 100)


@given(precision, precision, precision, st.floats(1e-3, 1e3), value, value, value, value)
def test_perception_contracts_to_the_precision_weighted_mean(pi_o, pi_eta, pi_h, k, mu0, o, eta, h):
    """The closed form is a fixed point, and each step shrinks the distance to it by
    exactly 1 / (1 + k (pi_o + pi_eta + pi_h))."""
    o_, eta_, h_, mu_ = (np.full((1, 2), v) for v in (o, eta, h, mu0))
    star = eq.precision_weighted_mean(o_, eta_, pi_o, np.array([pi_eta]), h_, pi_h)
    scale = max(1.0, abs(o), abs(eta), abs(h), abs(mu0))
    again = eq.perceive(star, o_, eta_, pi_o, np.array([pi_eta]), k, h_, pi_h)
    np.testing.assert_allclose(again, star, rtol=1e-12, atol=1e-12 * scale)
    step = eq.perceive(mu_, o_, eta_, pi_o, np.array([pi_eta]), k, h_, pi_h)
    factor = 1.0 / (1.0 + k * (pi_o + pi_eta + pi_h))
    np.testing.assert_allclose(step - star, factor * (mu_ - star), rtol=1e-9, atol=1e-9 * scale)


def test_perception_iterated_reaches_the_fixed_point():
    o, eta, h = np.array([[2.0, -1.0]]), np.array([[0.5, 0.5]]), np.array([[-3.0, 4.0]])
    mu = np.zeros((1, 2))
    for _ in range(200):
        mu = eq.perceive(mu, o, eta, 10.0, 1.0, 0.1, h, 0.5)
    np.testing.assert_allclose(mu, (10 * o + eta + 0.5 * h) / 11.5, rtol=1e-12)


@given(precision, precision, precision, st.floats(1e-3, 1e3), value, value, value, value)
def test_perception_never_raises_free_energy(pi_o, pi_eta, pi_h, k, mu0, o, eta, h):
    """The semi-implicit step is a proximal step on F: F(new) <= F(old) for any precision."""
    args = [np.full((1, 2), v) for v in (mu0, o, eta, h)]
    mu0_, o_, eta_, h_ = args
    new = eq.perceive(mu0_, o_, eta_, pi_o, pi_eta, k, h_, pi_h)
    f_old = eq.free_energy(o_, mu0_, eta_, pi_o, pi_eta, h_, pi_h)
    f_new = eq.free_energy(o_, new, eta_, pi_o, pi_eta, h_, pi_h)
    assert f_new <= f_old * (1 + 1e-12) + 1e-12


def test_one_row_and_whole_level_give_identical_bits():
    rng = np.random.default_rng(0)
    mu, o, eta, h = (rng.normal(size=(50, 3)) for _ in range(4))
    pi_eta = rng.uniform(0.1, 5, 50)
    whole = eq.perceive(mu, o, eta, 10.0, pi_eta, 0.1, h, 0.5)
    rows = np.vstack(
        [
            eq.perceive(
                mu[i : i + 1],
                o[i : i + 1],
                eta[i : i + 1],
                10.0,
                pi_eta[i : i + 1],
                0.1,
                h[i : i + 1],
                0.5,
            )
            for i in range(50)
        ]
    )
    assert np.array_equal(whole, rows)


@given(st.integers(2, 40), st.floats(-5, 5), st.integers(0, 10_000))
def test_central_setpoints_are_the_constrained_optimum(n, target, seed):
    """mean(s) = T, and the gradient pi_h (s - h) is equal for all cells (Lagrange)."""
    rng = np.random.default_rng(seed)
    h = rng.normal(size=(n, 2))
    pi_h = rng.uniform(0.1, 10, n)
    s = eq.central_setpoints(h, pi_h, np.full(2, target), np.ones(n, bool))
    np.testing.assert_allclose(s.mean(axis=0), target, atol=1e-9)
    grad = pi_h[:, None] * (s - h)
    np.testing.assert_allclose(grad, np.broadcast_to(grad[0], grad.shape), atol=1e-9)


def test_coarse_grain_means_living_children_and_keeps_empty_parents():
    values = np.arange(12, dtype=float).reshape(6, 2)
    alive = np.array([True, False, True, False, False, True])
    previous = np.full((3, 2), -1.0)
    out = eq.coarse_grain(values, alive, np.array([0, 3, 5]), previous)
    np.testing.assert_array_equal(out[0], values[[0, 2]].mean(axis=0))
    np.testing.assert_array_equal(out[1], previous[1])  # all children gone: keeps its state
    np.testing.assert_array_equal(out[2], values[5])


def test_action_descends_the_gradient_within_the_ramp_limit():
    o, mu = np.array([[1.0, -3.0]]), np.zeros((1, 2))
    a = eq.act(o, mu, 0.1, 10.0, a_max=2.0)
    np.testing.assert_array_equal(a, [[-1.0, 2.0]])


def test_oldest_first_serves_the_queue_in_order():
    since = np.array([5, -1, 2, 2, 7, 1])
    np.testing.assert_array_equal(eq.oldest_first(since, 3), [2, 3, 5])
    np.testing.assert_array_equal(eq.oldest_first(since, 10), [0, 2, 3, 4, 5])


def test_landauer_floor_at_300_kelvin():
    assert abs(eq.landauer_floor(1, 300.0) - 2.87e-21) < 0.01e-21
