"""The optimum the measures and command's plan keep: central_setpoints' numbers exactly."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from dataspace_abm.core.equations import central_setpoints
from dataspace_abm.regimes.base import KeptOptimum


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 30), d=st.integers(1, 3), seed=st.integers(0, 2**31))
def test_kept_means_give_central_setpoints_until_the_key_changes(n, d, seed):
    rng = np.random.default_rng(seed)
    h, pi_h = rng.normal(size=(n, d)), rng.uniform(0.5, 5.0, n)
    alive = rng.random(n) < 0.8
    kept = KeptOptimum()
    for _ in range(3):  # the same niches, a new target each step: means kept
        target = rng.normal(size=d)
        np.testing.assert_array_equal(
            kept.setpoints(0, h, pi_h, target, alive, -np.inf, np.inf),
            central_setpoints(h, pi_h, target, alive),
        )
    moved = h + 1.0  # the niches moved: a new key, the means taken anew
    target = rng.normal(size=d)
    np.testing.assert_array_equal(
        kept.setpoints(1, moved, pi_h, target, alive, -np.inf, np.inf),
        central_setpoints(moved, pi_h, target, alive),
    )
    # with bounds in the way it is central_setpoints itself
    np.testing.assert_array_equal(
        kept.setpoints(1, moved, pi_h, target, alive, -0.5, 0.5),
        central_setpoints(moved, pi_h, target, alive, -0.5, 0.5),
    )
