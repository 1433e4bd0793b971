"""The benchmark's peer: version 2's landscape rule written the way a Mesa user would.

One agent class, its state in plain Python floats, ``shuffle_do`` to step the agents, the
price learned by the model from the cells' reports. The rule is the project's (docs/odd.md
7.1-7.3): a cell senses its state with noise, updates its estimate by a Kalman filter that
predicts its own last move, prefers ``h + b / pi_h`` (its niche shifted by the price) and
moves toward it from its estimate, within the ramp limit; it reports its estimate when it
moved by more than ``delta``; the model keeps the sum of the reports and moves the price by
dual ascent on ``T - mean``. The levels between the cells and the top relay nothing here
(society reads the cells' reports at once), which saves the peer work: the comparison
favours it. The defaults are the project's (``params.PARAMETERS``).
"""

from __future__ import annotations

import math

import mesa

from .core.params import default_params


class IdiomaticCell(mesa.Agent):
    """A cell with its state, estimate, niche and report as Python floats, ``d`` each."""

    def __init__(self, model: IdiomaticLandscape, niche: list[float], stiffness: float) -> None:
        super().__init__(model)
        self.x = list(niche)  # cells start at their niches, as the project's do
        self.m = list(niche)
        self.var = 0.0
        self.a = [0.0] * len(niche)
        self.h = list(niche)
        self.pi_h = stiffness
        self.sent = list(niche)

    def step(self) -> None:
        p = self.model
        var_pred = self.var + p.q
        gain = var_pred / (var_pred + p.r)
        self.var = (1.0 - gain) * var_pred
        for k in range(len(self.x)):
            o = self.x[k] + p.noise_sd * self.random.gauss(0.0, 1.0)
            predicted = self.m[k] + self.a[k]
            self.m[k] = predicted + gain * (o - predicted)
            preferred = self.h[k] + p.tilt[k] / self.pi_h
            move = max(-p.a_max, min(p.a_max, p.k_a * (preferred - self.m[k])))
            self.a[k] = move
            self.x[k] += move
        if math.dist(self.m, self.sent) > p.delta:  # send on delta: the model sums reports
            for k in range(len(self.m)):
                p.reported[k] += self.m[k] - self.sent[k]
            self.sent = list(self.m)


class IdiomaticLandscape(mesa.Model):
    """``n_cells`` cells under one price; ``T`` constant at ``target_level``."""

    def __init__(self, n_cells: int, d: int = 2, rng: int = 1) -> None:
        super().__init__(rng=rng)
        p = default_params()
        self.q, self.r = p["filter_q"], (p["sensing_noise"] / math.sqrt(p["pi_o"])) ** 2
        self.noise_sd = math.sqrt(self.r)
        self.k_a, self.a_max, self.delta = p["k_a"], p["a_max"], p["delta"]
        self.tilt_gain, self.target = p["tilt_gain"], [p["target_level"]] * d
        self.tilt = [0.0] * d
        self.reported = [0.0] * d
        for _ in range(n_cells):
            niche = [p["niche_mean"] + p["niche_spread"] * self.random.gauss(0.0, 1.0)
                     for _ in range(d)]  # fmt: skip
            cell = IdiomaticCell(self, niche, p["pi_h"])
            for k in range(d):
                self.reported[k] += cell.sent[k]
        self.n_cells = n_cells

    def step(self) -> None:
        self.agents.shuffle_do("step")
        for k in range(len(self.tilt)):  # dual ascent on the reported mean
            mean = self.reported[k] / self.n_cells
            self.tilt[k] += self.tilt_gain * (self.target[k] - mean)

    def mean_state(self) -> list[float]:
        """The cells' mean state, per dimension."""
        d = len(self.tilt)
        return [sum(c.x[k] for c in self.agents) / self.n_cells for k in range(d)]
