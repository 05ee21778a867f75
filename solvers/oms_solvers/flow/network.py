"""The flow network of an allocation, and its independent blocks (see :mod:`.allocate`)."""

from __future__ import annotations

import numpy as np

from oms_plan.allocate.problem import AllocationProblem

#: Arcs per independent block solved at once (whole items; see :meth:`Network.blocks`).
BLOCK_ARCS = 1_000


class Network:
    """Arc arrays of the flow network for the selected components."""

    def __init__(self, problem: AllocationProblem, comps: np.ndarray) -> None:
        line_sel = np.flatnonzero(comps[problem.line_component]).astype(np.int64)
        opt_sel = np.flatnonzero(comps[problem.line_component[problem.opt_line]])
        iv_comp = problem.iv_component
        iv_sel = np.flatnonzero((iv_comp >= 0) & comps[np.maximum(iv_comp, 0)])
        self.opt_sel = opt_sel
        n_iv, n_line = len(iv_sel), len(line_sel)
        iv_pos = np.full(problem.num_intervals, -1, dtype=np.int64)
        iv_pos[iv_sel] = np.arange(n_iv)
        line_pos = np.full(problem.num_lines, -1, dtype=np.int64)
        line_pos[line_sel] = np.arange(n_line)
        sink = n_iv + n_line
        self.num_nodes = sink + 1
        buf = problem.iv_buffer[iv_sel]
        supply = problem.iv_supply[iv_sel]
        buf_total = np.zeros(len(problem.buf_item), dtype=np.int64)
        np.add.at(buf_total, buf, supply)
        same_next = np.zeros(n_iv, dtype=bool)
        same_next[:-1] = buf[:-1] == buf[1:]  # intervals are sorted by buffer, day
        carry_from = np.flatnonzero(same_next)
        last = np.flatnonzero(~same_next)
        qty = problem.line_qty[line_sel]
        tails = [
            carry_from,
            last,
            iv_pos[problem.opt_interval[opt_sel]],
            n_iv + np.arange(n_line),
        ]
        heads = [
            carry_from + 1,
            np.full(len(last), sink),
            n_iv + line_pos[problem.opt_line[opt_sel]],
            np.full(n_line, sink),
        ]
        caps = [
            buf_total[buf[carry_from]],
            buf_total[buf[last]],
            problem.line_qty[problem.opt_line[opt_sel]],
            qty,
        ]
        self.first_option = len(carry_from) + len(last)
        self.tail = np.concatenate(tails).astype(np.int64)
        self.head = np.concatenate(heads).astype(np.int64)
        self.cap = np.concatenate(caps).astype(np.int64)
        self.supply = np.zeros(self.num_nodes, dtype=np.int64)
        self.supply[:n_iv] = supply
        self.supply[sink] = -int(supply.sum())
        # Every arc stays within one item (its tail's): lines draw from their item's buffers.
        node_item = np.concatenate(
            [problem.buf_item[buf], problem.line_item[line_sel], np.array([-1], dtype=np.int64)]
        )
        self.arc_item = node_item[self.tail]

    def blocks(self, size: int | None = None) -> list[np.ndarray]:
        """Arc indices of independent blocks: whole items, about ``size`` arcs each.

        Items share nothing but the sink, so the flow problem splits into one problem per
        item; a separable objective's lexicographic optima are the products of the blocks'
        ones. Min-cost flow time grows faster than linearly with the network, so small
        blocks solve much faster than one big network; grouping items into blocks of a few
        thousand arcs keeps the per-solve overhead low.
        """
        size = BLOCK_ARCS if size is None else size
        order = np.argsort(self.arc_item, kind="stable")
        items, first = np.unique(self.arc_item[order], return_index=True)
        if not len(items):
            return []
        block_of_item = (first // size).astype(np.int64)
        # Blocks start where an item's first arc crosses a multiple of size.
        starts = first[np.flatnonzero(np.diff(block_of_item, prepend=-1))]
        return np.split(order, starts[1:])

    def option_slice(self) -> slice:
        """Arcs that are options (in the order of ``opt_sel``)."""
        return slice(self.first_option, self.first_option + len(self.opt_sel))
