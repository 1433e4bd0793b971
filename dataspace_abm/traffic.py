"""The memory a compiled step moves: the cell arrays each pass reads and writes, per cell.

The count is the benchmark's (``of BW``): every array a pass over the cells reads or writes
counts once per pass, its bytes divided by the cells (an edge array weighs its mean
in-degree), written arrays once (no write-allocate), the levels above the cells not at
all. The passes are those of the default engine's version 2 kernels, in the measured first
steps when every cell reports or gossips; ``tests/test_traffic.py`` holds each list to the
arrays its kernel is handed. The arrays are the model's own, so their sizes are measured,
not assumed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np

if TYPE_CHECKING:
    from .core.model import HolarchyModel


class Pass(NamedTuple):
    """One pass over the cells: what it does, the kernel doing it (by its one-core name;
    empty for numpy's), the arrays it reads and writes, and those its kernel is handed but
    does not touch in this regime (counted as nothing)."""

    name: str
    kernel: str
    read: dict[str, np.ndarray]
    written: dict[str, np.ndarray]
    unread: tuple[str, ...] = ()


COUNTED = ("landscape", "flat", "autonomous")  # command's queues run in numpy: not counted


def _pick(arrays: dict[str, np.ndarray], names: str) -> dict[str, np.ndarray]:
    return {name: arrays[name] for name in names.split()}


def _cell_arrays(model: HolarchyModel) -> dict[str, np.ndarray]:
    s = model.state
    cells = s.levels[0]
    named = {name: getattr(cells, name) for name in vars(cells) if name != "n"}
    named.update(a=s.a, h=s.h, pi_h=s.pi_h, noise=model.inputs.draws["noise"][0])
    named.update(parent=model.holarchy.parent[0], reported_at=model.regime.reported_at[0])
    return {k: v for k, v in named.items() if isinstance(v, np.ndarray)}


def _measures(model: HolarchyModel, a: dict[str, np.ndarray]) -> list[Pass]:
    """The per-step summary (``landscape_kernels.summary_block``: its landscape is the
    regime's ``summary_landscape``), the organs' observed means (``core.kernels.living_sums``)
    and the load counters' reset."""
    eta, pi_eta, tilt, seen = model.regime.summary_landscape()
    summary = {**_pick(a, "load alive x h o mu pi_h"), "eta": eta, "pi_eta": pi_eta}
    summary.update(tilt=tilt, landscape_time=seen)
    measures = [Pass("per-step summary", "summary_block", summary, {})]
    if model.p["d"] != 2:  # in two dimensions the summary sums the states in its own loop
        measures.append(Pass("its sum of the states, a second loop", "", _pick(a, "x alive"), {}))
    return [
        *measures,
        Pass("the organs' observed means", "living_sums", _pick(a, "x alive"), {}),
        Pass("load counters reset", "", {}, _pick(a, "load")),
    ]


def passes(model: HolarchyModel) -> list[Pass]:
    """The passes of one step of ``model`` (a stepped model of a ``COUNTED`` regime, on the
    default engine, version 2's filter rule)."""
    mode = model.p["mode"]
    if mode not in COUNTED or not model.p["cell_rule"] == "filter":
        raise ValueError(f"mode: the traffic is counted for {COUNTED} under the filter rule")
    a = _cell_arrays(model)
    cells = {"landscape": _landscape, "flat": _flat, "autonomous": _autonomous}[mode](model, a)
    return [Pass("noise draw", "", {}, _pick(a, "noise")), *cells, *_measures(model, a)]


def _autonomous(model: HolarchyModel, a: dict[str, np.ndarray]) -> list[Pass]:
    return [
        Pass("sense, filter, act toward the niche", "filter_block",
             _pick(a, "var x mu a noise pi_eta h pi_h alive"), _pick(a, "o mu pref a x var"),
             ("eta", "tilt")),
    ]  # fmt: skip


def _landscape(model: HolarchyModel, a: dict[str, np.ndarray]) -> list[Pass]:
    into = "tilt" if model.regime.tilted else "eta"  # where the organs' landscape goes
    return [
        Pass("sense, filter, act", "filter_block",
             _pick(a, "var x mu a noise eta tilt h pi_eta pi_h alive"),
             _pick(a, "o mu pref a x var")),
        Pass("reports", "report_block", _pick(a, "mu sent_up reported_at alive parent load"),
             _pick(a, "reported_at sent_up reported report_time load")),
        Pass("the organs' coarse-graining", "coarse_grain_cells",
             _pick(a, "reported report_time alive"), {}),
        Pass("landscapes received", "receive_block", _pick(a, "parent alive load"),
             _pick(a, f"{into} pi_eta landscape_time load")),
    ]  # fmt: skip


def _flat(model: HolarchyModel, a: dict[str, np.ndarray]) -> list[Pass]:
    regime = model.regime
    e, graph = regime.arrays, regime.graph
    w_edge, receivers = regime.living_links()
    a.update({f"{k}_est" if k == "t" else k: v for k, v in vars(e).items()})
    a.update(w_edge=w_edge, receivers=receivers, gossiped_at=regime.gossiped_at)
    a.update(outbox=regime.outbox, in_starts=graph.in_starts, in_ends=graph.in_ends)
    a.update(src=graph.src)
    upstream_row = e.recv_t[: model.holarchy.n_cells]  # one in-edge's row a cell: its bytes
    return [
        # the books (sent_*, held_*) are columns of the outbox: its rows are what is read
        Pass("price step: consensus, dual ascent, sense, filter, act", "price_block",
             {**_pick(a, "in_starts in_ends w_edge recv_m recv_b outbox m b t_est"
                         " upstream gateway var x mu a noise eta pi_eta h pi_h alive"),
              "recv_t (the upstream edge's row)": upstream_row},
             _pick(a, "b tilt o mu pref a x m t_est var")),
        Pass("gossip: senders", "senders_block",
             _pick(a, "m t_est b outbox gossiped_at alive receivers load"),
             _pick(a, "outbox gossiped_at load")),
        Pass("gossip: receivers", "receivers_block",
             _pick(a, "in_starts in_ends alive src outbox recv_time load"),
             _pick(a, "recv_m recv_t recv_b recv_time load")),
    ]  # fmt: skip


def pass_bytes(read: dict[str, np.ndarray], written: dict[str, np.ndarray]) -> int:
    """Bytes a pass reads plus bytes it writes; an array read twice (under two names, as
    autonomous cells' niche is their landscape too) counts once."""

    def once(arrays: dict[str, np.ndarray]) -> int:
        return sum({(v.__array_interface__["data"][0], v.nbytes): v.nbytes
                    for v in arrays.values()}.values())  # fmt: skip

    return once(read) + once(written)


def bytes_per_cell_step(model: HolarchyModel) -> float:
    """Bytes the counted passes of one step move per cell (:func:`passes`)."""
    return sum(pass_bytes(p.read, p.written) for p in passes(model)) / model.holarchy.n_cells
