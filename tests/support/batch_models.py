"""Test-only models (``model = "batch_models:..."`` in a spec) that misbehave.

A spec's experiment.model may name any ``module:Class`` taking the model's parameters; these
subclasses of the model fail on purpose so the tests can see how a batch copes.
"""

import os
from pathlib import Path

from dataspace_abm import HolarchyModel

MARKERS = "BATCH_TEST_MARKERS"  # folder where a dying run notes that it died once


class FailingHolarchy(HolarchyModel):
    """Raises in its third step when ``gain == 0.25``; every other run is the model's own."""

    def step(self) -> None:
        if self.p["gain"] == 0.25 and self.steps == 3:
            raise RuntimeError("deliberate failure at gain 0.25")
        super().step()


class DyingHolarchy(HolarchyModel):
    """Kills its worker process (no exception, no cleanup) the first time seed 2 runs."""

    def __init__(self, rng=None, **parameters):
        marker = Path(os.environ[MARKERS]) / f"seed-{rng}"
        if rng == 2 and not marker.exists():
            marker.touch()
            os._exit(1)
        super().__init__(rng=rng, **parameters)
