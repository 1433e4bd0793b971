"""Bad input is refused before any work, with the parameter, its value and the range."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dataspace_abm import HolarchyModel, ParameterError
from dataspace_abm.core import params as P

BAD = [
    ("pi_o", -1.0, "[1e-09, 1e+09]"),  # negative precision
    ("pi_prior", 0.0, "[1e-09, 1e+09]"),
    ("pi_h", "high", "a finite number"),  # wrong type
    ("k_a", math.nan, "a finite number"),  # non-finite
    ("k_mu", math.inf, "a finite number"),
    ("n_organizations", 0, "[1, inf)"),  # zero branching
    ("organs_per_organization", 0, "[1, inf)"),
    ("cells_per_organ", -3, "[1, inf)"),  # negative size
    ("cells_per_organ", 2.5, "an integer"),
    ("cells_per_organ", [], "non-empty"),
    ("organs_per_organization", [1, 2], "a list of 8 values"),
    ("d", True, "an integer"),
    ("mode", "anarchy", "'landscape'"),
    ("p_loss", 1.0, "[0, 1)"),
    ("delta", -0.1, "[0, 1e+06]"),
    ("timescale_ratio", 0.5, "[1, 1000]"),
    ("unknown_key", 1, "known parameters"),
    ("target_series", ["a"], "finite numbers"),
    ("cells_per_organ", 10**8, "fits in the free memory"),  # 6.4e9 cells
]


@pytest.mark.parametrize(("name", "value", "allowed"), BAD)
def test_bad_input_names_parameter_value_and_range(name, value, allowed):
    with pytest.raises(ParameterError) as err:
        HolarchyModel(rng=1, **{name: value})
    message = str(err.value)
    assert f"'{name}'" in message and repr(value) in message and allowed in message


def test_series_target_needs_a_series():
    with pytest.raises(ParameterError, match="target_series"):
        HolarchyModel(target="series")


def test_validation_happens_before_any_agent_exists(monkeypatch):
    built = []
    monkeypatch.setattr("dataspace_abm.core.model.build_holarchy", lambda *a: built.append(1))
    with pytest.raises(ParameterError):
        HolarchyModel(pi_o=-1)
    assert built == []


@given(
    st.sampled_from(["landscape", "command", "flat", "autonomous"]),
    st.sampled_from([1e-6, 1e-3, 1.0, 1e3, 1e6]),
    st.sampled_from([1e-6, 1.0, 1e6]),
    st.sampled_from([1e-6, 1e6]),
    st.sampled_from([0.0, 1.0]),
)
def test_extreme_valid_values_run_without_overflow_or_nan(mode, pi_o, pi_prior, pi_h, noise):
    with np.errstate(all="raise"):  # any overflow or invalid operation fails the test
        model = HolarchyModel(
            rng=1,
            mode=mode,
            pi_o=pi_o,
            pi_prior=pi_prior,
            pi_h=pi_h,
            sensing_noise=noise,
            process_noise=noise,
            cells_per_organ=3,
            n_organizations=3,
            organs_per_organization=3,
            gain=1.0,
        )
        table = model.run(30)
    assert np.isfinite(table.to_numpy(dtype=float)).all()


def test_set_parses_toml_values_and_bare_words():
    assert P.parse_assignment("pi_o=2.5") == ("pi_o", 2.5)
    assert P.parse_assignment("mode=command") == ("mode", "command")
    assert P.parse_assignment("cells_per_organ=[1, 2]") == ("cells_per_organ", [1, 2])
    with pytest.raises(ParameterError, match="key=value"):
        P.parse_assignment("pi_o")


def test_config_round_trips_through_toml():
    import tomllib

    params = P.resolve({"cells_per_organ": [2, 3] * 32, "target_series": [1.0, 2.0]})
    assert P.resolve(P.flatten(tomllib.loads(P.to_toml(params)))) == params
