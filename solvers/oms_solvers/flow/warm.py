"""A warm start for relaxation and repair: side-constrained lines back where they were.

The repair (:mod:`oms_solvers.flow.repair`) decides the side-constrained lines from the
network relaxation, and a relaxation has many equally good answers: a small edit can change
which one comes out, and with it where dozens of untouched all-or-nothing lines and
ship-complete orders land. Given a previous allocation, :func:`toward_previous` moves each
side-constrained line of the cold answer back to what it shipped before, when that still is
a valid answer for the line (its side constraints hold for its current quantity), is no
worse for any stage of the policy, and fits the stock around everything else the cold
answer ships.
"""

from __future__ import annotations

import numpy as np

from oms_plan.allocate.problem import AllocationProblem


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


def toward_previous(
    problem: AllocationProblem,
    current: np.ndarray,
    decided: np.ndarray,
    previous: np.ndarray,
) -> np.ndarray:
    """Pins for the side-constrained lines: ``current`` moved back to ``previous`` where safe.

    ``current`` is a complete answer (the cold repair's). Most important first (promised
    lines, then priority, then orders row), a line — or a whole ship-complete order — whose
    previous draws are still valid takes them instead of its current ones when that ships
    the same quantity, no less on time, no more days late, no dearer, and fits the stock
    *around everything else ``current`` ships*. Every line then is at least as good for
    each stage of the policy and the rest of ``current`` stays feasible, so re-solving the
    other lines around these pins gives an answer at least as good as ``current``.
    Returns the pinned quantity per option (the decided lines' options only).
    """
    from oms_solvers.greedy.allocate import Stock

    ol = problem.opt_line
    n = problem.num_lines
    prev = np.where(decided[ol], np.asarray(previous, dtype=np.int64), 0)
    valid = _valid_lines(problem, prev)
    out = np.asarray(current, dtype=np.int64).copy()
    stock = Stock(problem, out)
    starts = np.searchsorted(ol, np.arange(n + 1))
    rank = problem.line_priority + np.where(problem.line_has_promise, 0, 1 << 20)
    lines = np.flatnonzero(decided & valid)
    lines = lines[np.lexsort((problem.line_row[lines], rank[lines]))]
    on_time = problem.opt_on_time.astype(np.int64)
    keep = problem.opt_keep.astype(np.int64)
    done: set[int] = set()
    for j in lines:
        g = int(problem.line_together[j])
        if g >= 0:
            if g in done:
                continue
            done.add(g)
            members = np.flatnonzero(problem.line_together == g)
            if not valid[members].all():
                continue
        else:
            members = np.array([j])
        if not all(_no_worse(problem, out, prev, starts, int(m), on_time, keep) for m in members):
            continue
        opts = np.concatenate([np.arange(starts[m], starts[m + 1]) for m in members])
        old, new = out[opts].copy(), prev[opts]
        if (old == new).all():
            continue
        for a, q in zip(opts[old > 0], old[old > 0], strict=True):
            stock.take(int(problem.opt_interval[a]), -int(q))
        taken: list[tuple[int, int]] = []
        for a in opts[new > 0]:
            iv, q = int(problem.opt_interval[a]), int(prev[a])
            if stock.available(iv) < q:
                break
            stock.take(iv, q)
            taken.append((iv, q))
        else:
            out[opts] = new
            continue
        for iv, q in taken:  # stock does not allow it: the current draws stay
            stock.take(iv, -q)
        for a, q in zip(opts[old > 0], old[old > 0], strict=True):
            stock.take(int(problem.opt_interval[a]), int(q))
    return np.where(decided[ol], out, 0)


def _no_worse(
    problem: AllocationProblem,
    current: np.ndarray,
    previous: np.ndarray,
    starts: np.ndarray,
    line: int,
    on_time: np.ndarray,
    keep: np.ndarray,
) -> bool:
    """Whether line ``line`` shipped as ``previous`` is as good as ``current`` on every stage."""
    sl = slice(int(starts[line]), int(starts[line + 1]))
    old, new = current[sl], previous[sl]
    if not new.any() or int(new.sum()) != int(old.sum()):
        return False
    late, cost = problem.opt_late[sl], problem.opt_cost[sl]
    return bool(
        np.dot(new, on_time[sl]) >= np.dot(old, on_time[sl])
        and np.dot(new, keep[sl]) >= np.dot(old, keep[sl])
        and np.dot(new, late) <= np.dot(old, late)
        and np.dot(new, cost) <= np.dot(old, cost) + 1e-9
    )
