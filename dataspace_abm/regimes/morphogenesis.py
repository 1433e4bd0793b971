"""Morphogenesis on the holarchy's engine: cells that infer their place in their organ's
form, organs that carry the form where the organism draws it (scenario "morphogenesis").

Levels: cells (0), organs (1), the organism (2, an organization), its surroundings (3,
society, passive). A cell's position is its row of the cell level's ``x``; its identity
log-odds and its release are this regime's own arrays (columns are cells, the layout of
``scenarios.morphogenesis.inference``, whose pure functions both engines call). Messages
take a step a hop, as everywhere: a cell's release reaches the other cells of its organ
(one channel per organ), its position its organ (send-on-delta); an organ's mean reaches
the organism, the centre the organism draws reaches the organ and, relayed, its cells.

``SelfAssembly`` (mode "landscape") is the paper's scheme nested: the organism never tells
a cell where to go, it moves the centre of the form its organs carry by integral control
on their reports. ``AssignedPlaces`` (mode "command") is the central planner: it hears
every cell's position, assigns each organ's cells to its places (the Hungarian method)
and commands each cell's move and release, at the rates of the cells' own descent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from scipy.optimize import linear_sum_assignment

from ..core import equations as eq
from ..core.state import State
from ..core.structure import Holarchy
from ..scenarios.morphogenesis import inference
from ..scenarios.morphogenesis.form import Form, named_form
from ..scenarios.morphogenesis.model import sense_gains
from .base import Regime, StepInputs, index

CELL, ORGAN, ORGANISM = 0, 1, 2
COLUMNS = ("form_error", "placement_error", "certainty", "permutation")


def organ_targets(organs: int, gap: float) -> np.ndarray:
    """Where the organism wants its organs: on a line, ``gap`` apart, centred (organs x 2)."""
    return np.stack([(np.arange(organs) - (organs - 1) / 2) * gap, np.zeros(organs)], axis=1)


def matched_distances(x: np.ndarray, places: np.ndarray) -> np.ndarray:
    """Each cell's distance from the place it is matched to, one to one, so that the total
    distance is least (cells and places as columns)."""
    cost = np.sqrt(((x[:, :, None] - places[:, None, :]) ** 2).sum(axis=0))
    rows, chosen = linear_sum_assignment(cost)
    out = np.full(x.shape[1], np.nan)
    out[rows] = cost[rows, chosen]
    return out


class SelfAssembly(Regime):
    """Cells infer their identity and migrate; the organism places the organs' forms."""

    name = "landscape"

    def __init__(
        self, params: Mapping[str, Any], state: State, holarchy: Holarchy, rng: np.random.Generator
    ) -> None:
        super().__init__(params, state, holarchy, rng)
        # the scenario's parameters by their names in scenarios.morphogenesis
        p = self.morph = {k.removeprefix("morph_"): v for k, v in params.items()}
        self.form: Form = named_form(p["form"], p["decay"])
        self.gains = sense_gains(p, self.form.m)  # a disturbed sense, as in the paper's Fig. 5
        n, cells = self.form.n, holarchy.n_cells
        self.organ = holarchy.parent[CELL]  # each cell's organ
        self.targets = organ_targets(holarchy.sizes[ORGAN], p["organ_gap"])
        self.centres = self.targets.copy()  # the organism's drawn centres, one per organ
        self.v = rng.standard_normal((n, cells)) * p["start_spread"]  # identities x cells
        q = inference.softmax(self.v)
        self.s = self.form.signals @ q
        lv = state.levels
        lv[CELL].x[:] = self.targets[self.organ] + p["spread"] * (self.form.positions @ q).T
        for name in ("mu", "o", "reported", "sent_up", "pref"):
            getattr(lv[CELL], name)[:] = lv[CELL].x
        lv[CELL].eta[:] = self.targets[self.organ]  # the centre each cell heard
        lv[CELL].pi_eta[:] = 0.0
        lv[ORGAN].eta[:] = lv[ORGAN].theta[:] = lv[ORGAN].sent_theta[:] = self.targets
        for level in (ORGAN, ORGANISM, ORGANISM + 1):  # parents start at their cells' mean
            x = eq.coarse_grain(
                lv[level - 1].x, lv[level - 1].alive, holarchy.starts[level], lv[level].x
            )
            for name in ("x", "mu", "reported", "sent_up"):
                getattr(lv[level], name)[:] = x
        self.sent_centres = self.centres.copy()
        self.heard = self.targets.copy()  # per organ: the centre it will relay
        self.next_v, self.next_s, self.next_x = self.v.copy(), self.s.copy(), lv[CELL].x.copy()
        self.free = np.zeros(cells)
        self.elapsed = 0.0
        fb, hb = params["float_bits"], params["header_bits"]
        self.bits_signal = eq.message_bits(self.form.m, fb, hb)
        self.bits_command = eq.message_bits(2 + self.form.m, fb, hb)

    # --- the form each organ carries ---------------------------------------------------
    def organ_form(self, centre: np.ndarray) -> Form:
        """The form drawn at ``centre``: its places scaled by the spread."""
        places = centre[:, None] + self.morph["spread"] * self.form.positions
        return Form(places, self.form.signals, self.form.decay)

    def organ_cells(self, organ: int) -> np.ndarray:
        return np.arange(self.holarchy.starts[ORGAN][organ], self.holarchy.ends[ORGAN][organ])

    def infers(self, level: int) -> bool:
        return level <= ORGANISM

    # --- the cells ---------------------------------------------------------------------
    def cells_update(self, rows: np.ndarray) -> None:
        """Next log-odds, position and release of living cells ``rows`` from the arrays as
        the step found them, against the form at the centre each cell heard."""
        p, b = self.morph, inference.ramp(self.elapsed, self.morph["build_up_time"])
        cells = self.state.levels[CELL]
        x_all = cells.x.T  # 2 x cells: the inference functions' layout
        for organ in np.unique(self.organ[rows]):
            own = self.organ_cells(int(organ))  # the organ's channel
            mine = rows[self.organ[rows] == organ]
            local = mine - own[0]
            form = self.organ_form(cells.eta[mine[0]])
            x, s, alive, v = x_all[:, own], self.s[:, own], cells.alive[own], self.v[:, mine]
            new = inference.descend(form, x, s, alive, local, v, p, b, self.gains)
            self.next_v[:, mine], self.next_s[:, mine] = new["v"], new["s"]
            self.next_x[mine], self.free[mine] = new["x"].T, new["F"]

    def write_cells(self, rows: np.ndarray) -> None:
        """Write the cells' updates; pay ``c_act`` for the move and change of release."""
        s, cells = self.state, self.state.levels[CELL]
        move = self.next_x[rows] - cells.x[rows]
        change = self.next_s[:, rows] - self.s[:, rows]
        cells.x[rows], s.a[rows] = self.next_x[rows], move
        self.v[:, rows], self.s[:, rows] = self.next_v[:, rows], self.next_s[:, rows]
        cells.mu[rows] = cells.o[rows] = cells.x[rows]
        s.add("e_action", self.g.c_act * float((move**2).sum() + (change**2).sum()))

    def commit_cells(self, rows: np.ndarray) -> None:
        """Write the cells' updates and pay for them: one belief update each, the release
        to every other living cell of the organ."""
        s, cells = self.state, self.state.levels[CELL]
        self.write_cells(rows)
        s.add("e_inference", self.g.c_inf * rows.size)
        living = np.bincount(self.organ[cells.alive], minlength=self.holarchy.sizes[ORGAN])
        receivers = int(np.sum(living[self.organ[rows]] - 1))
        self.count(receivers, self.bits_signal, 1, "lateral")
        np.add.at(cells.load, rows, living[self.organ[rows]] - 1)

    def step(self, level: int, rows: slice, inputs: StepInputs) -> None:
        lv = self.state.levels
        if level == CELL:
            living = index(rows)[lv[CELL].alive[rows]]
            if living.size:
                self.cells_update(living)
        elif level == ORGAN:  # its state: the mean of its cells' reports
            kids = slice(int(self.holarchy.starts[ORGAN][rows.start]),
                         int(self.holarchy.ends[ORGAN][rows.stop - 1]))  # fmt: skip
            rel = self.holarchy.starts[ORGAN][rows] - kids.start
            lv[ORGAN].x[rows] = eq.coarse_grain(
                lv[CELL].reported[kids], lv[CELL].alive[kids], rel, lv[ORGAN].x[rows]
            )
            lv[ORGAN].mu[rows] = lv[ORGAN].x[rows]
            # what it relays in the send phase: the centre it heard by the step's start
            # (read now, so that the organism's sending this step cannot reach it)
            self.heard[rows] = lv[ORGAN].eta[rows]
        elif level == ORGANISM:  # integral control of the centres on the organs' reports
            self.place_organs(rows)

    def place_organs(self, rows: slice) -> None:
        p, lv = self.morph, self.state.levels
        for organism in index(rows):
            organs = np.flatnonzero(self.holarchy.parent[ORGAN] == organism)
            alive = organs[lv[ORGAN].alive[organs]]
            error = self.targets[alive] - lv[ORGAN].reported[alive]
            self.centres[alive] += p["dt"] * p["k_organism"] * error
            self.state.add("e_inference", self.g.c_inf)

    def send(self, level: int, rows: slice, inputs: StepInputs) -> None:
        lv, g = self.state.levels, self.g
        if level == CELL:
            living = index(rows)[lv[CELL].alive[rows]]
            if living.size:
                self.commit_cells(living)
            self.report(CELL, rows, inputs)
        elif level == ORGAN:
            self.report(ORGAN, rows, inputs)
            self.relay(rows)
        elif level == ORGANISM:
            for organism in index(rows):
                organs = np.flatnonzero(self.holarchy.parent[ORGAN] == organism)
                moved = eq.moved(self.centres[organs], self.sent_centres[organs], g.delta)
                moved &= lv[ORGAN].alive[organs]
                sent = organs[moved]
                lv[ORGAN].eta[sent] = self.centres[sent]
                lv[ORGAN].landscape_time[sent] = inputs.step
                self.sent_centres[sent] = self.centres[sent]
                self.count(sent.size, g.bits_landscape, 1, "down")
                lv[ORGANISM].load[organism] += sent.size
                lv[ORGAN].load[sent] += 1

    def deliver(self, t: int) -> None:
        super().deliver(t)
        self.elapsed += self.morph["dt"]  # the step is over: the paper's time moves on

    def report(self, level: int, rows: slice, inputs: StepInputs) -> None:
        """Living holons of ``rows`` whose state moved by more than delta report it up."""
        lv, parent = self.state.levels[level], self.state.levels[level + 1]
        idx = index(rows)
        send = eq.moved(lv.x[rows], lv.sent_up[rows], self.g.delta) & lv.alive[rows]
        idx = idx[send]
        lv.sent_up[idx] = lv.reported[idx] = lv.x[idx]
        lv.report_time[idx] = inputs.step
        self.count(idx.size, self.g.bits_state, 1, "up")
        lv.load[idx] += 1
        np.add.at(parent.load, self.holarchy.parent[level][idx], 1)

    def relay(self, rows: slice) -> None:
        """An organ passes a centre it heard on to its living cells."""
        lv = self.state.levels
        organs = index(rows)
        changed = eq.moved(self.heard[rows], lv[ORGAN].sent_theta[rows], 0.0)
        changed &= lv[ORGAN].alive[rows]
        for organ in organs[changed]:
            kids = self.organ_cells(int(organ))
            kids = kids[lv[CELL].alive[kids]]
            lv[CELL].eta[kids] = self.heard[organ]
            lv[CELL].landscape_time[kids] = lv[ORGAN].landscape_time[organ]
            lv[ORGAN].sent_theta[organ] = lv[ORGAN].theta[organ] = self.heard[organ]
            self.count(kids.size, self.g.bits_landscape, 1, "down")
            lv[ORGAN].load[organ] += kids.size
            lv[CELL].load[kids] += 1

    # --- measures ----------------------------------------------------------------------
    def free_energy(self, level: int, rows: slice) -> np.ndarray:
        """A cell's variational free energy; an organ's and the organism's prediction
        error of where the organs are, against the centre heard and the target."""
        lv, pi = self.state.levels, self.morph["pi_organ"]
        if level == CELL:
            return self.free[rows]
        if level == ORGAN:
            return 0.5 * pi * eq.sqnorm(lv[ORGAN].x[rows] - lv[ORGAN].eta[rows])
        if level == ORGANISM:
            off = 0.5 * pi * eq.sqnorm(lv[ORGAN].reported - self.targets)
            off = np.where(lv[ORGAN].alive, off, 0.0)
            return np.bincount(self.holarchy.parent[ORGAN], weights=off, minlength=lv[ORGANISM].n)[
                rows
            ]
        return np.zeros(rows.stop - rows.start)

    def matched(self, centres: np.ndarray | None = None) -> np.ndarray:
        """Each living cell's distance from its matched place in its organ's form drawn at
        ``centres`` (default: the organs' targets, where the optimum puts every cell; NaN
        for the dead)."""
        cells = self.state.levels[CELL]
        centres = self.targets if centres is None else centres
        out = np.full(cells.n, np.nan)
        for organ in range(self.holarchy.sizes[ORGAN]):
            own = self.organ_cells(organ)
            own = own[cells.alive[own]]
            if own.size:
                places = self.organ_form(centres[organ]).positions
                out[own] = matched_distances(cells.x[own].T, places)
        return out

    def cell_summary(self, t: int, target: np.ndarray) -> dict[str, Any]:
        cells = self.state.levels[CELL]
        alive = cells.alive
        distance = self.matched()[alive]
        return {
            "sum_x": cells.x[alive].sum(axis=0),
            "sum_niche_distance": float(distance.sum()),
            "sum_optimality_gap": float(distance.sum()),
            "sum_free_energy": float(self.free[alive].sum()),
            "alive": int(alive.sum()),
            "max_load": int(cells.load.max()),
            "information_age": self.information_age(t) if alive.any() else np.nan,
        }

    def measures(self) -> dict[str, float]:
        """The form's own measures: the largest matched distance of any cell from the form
        its organ carries (drawn at the centre the organ heard; in form spacings), the
        organs' largest distance from their targets, the least certainty of any cell's
        identity, and 1 if every organ's identities are a permutation."""
        cells, lv = self.state.levels[CELL], self.state.levels
        alive = cells.alive
        if not alive.any():
            return dict.fromkeys(COLUMNS, np.nan)
        q = inference.softmax(self.v[:, alive])
        distinct = True
        for organ in range(self.holarchy.sizes[ORGAN]):
            mine = self.organ[alive] == organ
            distinct &= len(set(q[:, mine].argmax(axis=0))) == int(mine.sum())
        placed = eq.norm(lv[ORGAN].x - self.targets)[lv[ORGAN].alive]
        return {
            "form_error": float(np.nanmax(self.matched(lv[ORGAN].eta)) / self.form.spacing),
            "placement_error": float(placed.max()) if placed.size else np.nan,
            "certainty": float(q.max(axis=0).min()),
            "permutation": float(distinct and q.max(axis=0).min() > 0.5),
        }

    def on_revived(self, rows: np.ndarray, mothers: np.ndarray, noise: np.ndarray) -> None:
        """Cells ``rows`` are born as copies of ``mothers`` (belief, position, release),
        with ``noise`` (cells x (2 + m)) added to position and release."""
        cells = self.state.levels[CELL]
        self.v[:, rows] = self.v[:, mothers]
        cells.x[rows] = cells.x[mothers] + noise[:, :2]
        self.s[:, rows] = self.s[:, mothers] + noise[:, 2:].T
        for name in ("mu", "o", "reported", "sent_up"):
            getattr(cells, name)[rows] = cells.x[rows]
        cells.eta[rows] = cells.eta[mothers]
        self.next_v[:, rows], self.next_s[:, rows] = self.v[:, rows], self.s[:, rows]
        self.next_x[rows] = cells.x[rows]


class AssignedPlaces(SelfAssembly):
    """The central planner: every cell commanded to its assigned place (mode "command")."""

    name = "command"

    def infers(self, level: int) -> bool:
        # the cells obey (no free energy of their own: 0); organs and the organism are
        # scored as under self-assembly, by where the organs are against their centre
        # and targets, so that the two regimes' columns compare
        return level in (ORGAN, ORGANISM)

    def cells_update(self, rows: np.ndarray) -> None:
        """Each organ's cells assigned to the form's places at the organ's target, moved
        toward them and told their identity, at the rate of the cells' own descent."""
        p, cells = self.morph, self.state.levels[CELL]
        rate = p["dt"] * p["k_act"] * p["pi_sense"]
        n = self.form.n
        for organ in np.unique(self.organ[rows]):
            mine = rows[self.organ[rows] == organ]
            places = self.organ_form(self.targets[organ]).positions
            x = cells.x[mine].T
            cost = np.sqrt(((x[:, :, None] - places[:, None, :]) ** 2).sum(axis=0))
            got, chosen = linear_sum_assignment(cost)
            who = mine[got]
            self.next_x[who] = cells.x[who] + rate * (places[:, chosen].T - cells.x[who])
            self.next_s[:, who] = self.s[:, who] + rate * (
                self.form.signals[:, chosen] - self.s[:, who]
            )
            self.next_v[:, who] = np.eye(n)[:, chosen] * 10.0
            self.free[mine] = 0.0

    def commit_cells(self, rows: np.ndarray) -> None:
        """The commands' cost: each cell's position up and its command down, through its
        organ to the planner (two hops each), and the planner's work per cell."""
        s, cells = self.state, self.state.levels[CELL]
        self.write_cells(rows)
        s.add("e_central", self.g.c_central * rows.size)
        self.count(rows.size, self.g.bits_state, 2, "up")
        self.count(rows.size, self.bits_command, 2, "down")
        cells.load[rows] += 2

    def step(self, level: int, rows: slice, inputs: StepInputs) -> None:
        """The planner (at the organism) plans for all its cells at once; a cell plans
        nothing, it obeys in the send phase."""
        if level == ORGANISM:
            for organism in index(rows):
                organs = np.flatnonzero(self.holarchy.parent[ORGAN] == organism)
                cells = np.concatenate([self.organ_cells(int(o)) for o in organs])
                living = cells[self.state.levels[CELL].alive[cells]]
                if living.size:
                    self.cells_update(living)
        elif level != CELL:
            super().step(level, rows, inputs)


__all__ = ["COLUMNS", "AssignedPlaces", "SelfAssembly", "matched_distances", "organ_targets"]
