"""A warm start for relaxation and repair: side-constrained lines pinned where they were.

The repair (:mod:`oms_solvers.flow.repair`) decides the side-constrained lines from the
network relaxation, and a relaxation has many equally good answers: a small edit can change
which one comes out, and with it where dozens of untouched all-or-nothing lines and
ship-complete orders land. Given a previous allocation, :func:`pin_previous` pins each
side-constrained line to what it shipped before, when that still is a valid answer for the
line (its side constraints hold for its current quantity) and stock still allows it; the
others are placed as the cold repair places them. The caller keeps whichever of the cold
and the warm answer is better for the policy, the warm one on a tie.
"""

from __future__ import annotations

import numpy as np

from oms_plan.allocate.problem import AllocationProblem


def pin_previous(
    problem: AllocationProblem, previous: np.ndarray, comps: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Pinned quantities and decided lines of a warm repair (as :func:`.repair.pin` returns).

    ``previous`` is the scaled quantity a previous allocation shipped per option. A
    side-constrained line keeps it when the line's constraints hold (whole lines: their full
    quantity in one shipment; min / max shipments; ship-complete orders: every line whole on
    one (location, day) key) and every buffer it draws from still has the stock for all
    such pinned draws; a buffer short of stock releases every pinned draw on it.
    """
    ol = problem.opt_line
    n = problem.num_lines
    sel = comps[problem.line_component[ol]] & problem.line_needs_mip[ol]
    pinned = np.where(sel, np.asarray(previous, dtype=np.int64), 0)
    decided = np.zeros(n, dtype=bool)
    decided[np.unique(ol[sel])] = True
    bad = ~_valid_lines(problem, pinned)
    pinned[bad[ol]] = 0
    # Stock: cumulative receipts minus pinned draws must stay ≥ 0 in every buffer.
    net = problem.iv_supply.astype(np.int64).copy()
    np.subtract.at(net, problem.opt_interval, pinned)
    short = np.zeros(len(problem.buf_item), dtype=bool)
    for b in np.unique(problem.iv_buffer[problem.opt_interval[pinned > 0]]):
        ivs = np.flatnonzero(problem.iv_buffer == b)
        short[b] = bool((np.cumsum(net[ivs]) < 0).any())
    if short.any():
        released = np.zeros(n, dtype=bool)
        released[ol[(pinned > 0) & short[problem.opt_buffer]]] = True
        # A released line of a ship-complete order releases the whole order.
        groups = np.unique(problem.line_together[released & (problem.line_together >= 0)])
        released |= np.isin(problem.line_together, groups) & (problem.line_together >= 0)
        pinned[released[ol]] = 0
    return pinned, decided


def _valid_lines(problem: AllocationProblem, pinned: np.ndarray) -> np.ndarray:
    """Per line: whether its pinned draws are a valid answer for it (nothing pinned is)."""
    ol = problem.opt_line
    n = problem.num_lines
    qty = problem.line_qty
    got = np.bincount(ol, weights=pinned, minlength=n).astype(np.int64)
    ships = np.bincount(ol, weights=pinned > 0, minlength=n).astype(np.int64)
    small = (pinned > 0) & (pinned < problem.line_min_ship[ol])
    ok = (got <= qty) & (np.bincount(ol, weights=small, minlength=n) == 0)
    ok &= (problem.line_max_ship == 0) | (ships <= problem.line_max_ship)
    whole = problem.line_whole
    ok &= ~whole | (got == 0) | ((got == qty) & (ships == 1))
    together = problem.line_together
    member = together >= 0
    if member.any():
        n_groups = int(together.max()) + 1
        g = together[member]
        lines_in = np.bincount(g, minlength=n_groups)
        whole_in = np.bincount(
            g, weights=(got == qty)[member] & (ships == 1)[member], minlength=n_groups
        )
        any_got = np.bincount(g, weights=(got > 0)[member], minlength=n_groups) > 0
        # Distinct (order, key) pairs among the pinned draws: one key per order.
        drawn = (pinned > 0) & (problem.opt_together >= 0)
        pairs = np.unique(np.stack([together[ol[drawn]], problem.opt_together[drawn]]), axis=1)
        keys_in = np.bincount(pairs[0], minlength=n_groups) if pairs.size else np.zeros(n_groups)
        group_ok = ~any_got | ((whole_in == lines_in) & (keys_in == 1))
        ok[member] &= group_ok[g]
    return np.asarray(ok, dtype=bool)
