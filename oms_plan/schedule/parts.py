"""Cut a scheduling problem into parts a solver can take: workstation groups and time windows.

Orders that share no workstation (over every alternative of every step) do not interact,
so each *group* of workstations that orders link is a problem of its own. A group too large
for one CP-SAT model is solved in *time windows* (a rolling horizon): its operations, in the
order of a greedy schedule, are cut into windows of a few hundred; each window is solved
with everything before it fixed. A fixed operation is taken out of the working time of the
unit it runs on (with room for the largest changeover after it), so a window's problem is
an ordinary :class:`SchedulingProblem` whose units start where the fixed ones end — no
operation of a window can pause across a fixed one, and no solver needs to know about
fixing.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from oms_plan.schedule.calendar import WorkingTime
from oms_plan.schedule.problem import (
    Alternative,
    ManufacturingOrder,
    Operation,
    SchedulingProblem,
    Workstation,
)
from oms_plan.schedule.result import Solution


@dataclass(frozen=True)
class Group:
    """Orders linked by shared workstations (indices into the whole problem)."""

    name: str
    orders: tuple[int, ...]
    workstations: tuple[int, ...]


def workstation_groups(problem: SchedulingProblem) -> list[Group]:
    """The groups of orders that share workstations, in order of their first workstation.

    Parameters
    ----------
    problem
        The problem.

    Returns
    -------
    list of Group
        Every order in exactly one group; a group is named after its first workstation and
        the number of workstations it holds (``"WS-001+6"``: WS-001 and six more).

    """
    parent = list(range(len(problem.workstations)))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    first: list[int] = []
    for order in problem.orders:
        stations = [
            a.workstation for o in order.operations for a in problem.operations[o].alternatives
        ]
        root = find(stations[0])
        for w in stations[1:]:
            other = find(w)
            if other != root:
                # The smaller index is the root: groups never depend on the visiting order.
                root, other = min(root, other), max(root, other)
                parent[other] = root
        first.append(stations[0])
    members: dict[int, list[int]] = {}
    for i, w in enumerate(first):
        members.setdefault(find(w), []).append(i)
    stations_of: dict[int, set[int]] = {}
    for i, order in enumerate(problem.orders):
        root = find(first[i])
        for o in order.operations:
            stations_of.setdefault(root, set()).update(
                a.workstation for a in problem.operations[o].alternatives
            )
    groups = []
    for root in sorted(members):
        used = tuple(sorted(stations_of[root]))
        head = problem.workstations[used[0]].id
        name = head if len(used) == 1 else f"{head}+{len(used) - 1}"
        groups.append(Group(name, tuple(members[root]), used))
    return groups


def restrict(
    problem: SchedulingProblem, orders: Sequence[int]
) -> tuple[SchedulingProblem, list[int]]:
    """The problem of ``orders`` alone, and each of its operations' index in ``problem``.

    Workstations, working time and changeovers are shared (not copied); only orders and
    operations are re-indexed.
    """
    new_orders: list[ManufacturingOrder] = []
    new_ops: list[Operation] = []
    op_map: list[int] = []
    for i in orders:
        order = problem.orders[i]
        ids = []
        for o in order.operations:
            op = problem.operations[o]
            ids.append(len(new_ops))
            new_ops.append(Operation(len(new_orders), op.step, op.alternatives))
            op_map.append(o)
        new_orders.append(replace(order, operations=tuple(ids)))
    sub = SchedulingProblem(
        start=problem.start,
        orders=tuple(new_orders),
        operations=tuple(new_ops),
        workstations=problem.workstations,
        families=problem.families,
        changeovers=problem.changeovers,
        working=problem.working,
        window=problem.window,
        serial_bound=problem.serial_bound,
    )
    return sub, op_map


def clip(wt: WorkingTime, t: int) -> WorkingTime:
    """``wt`` without the working time before clock minute ``t``."""
    if t <= 0:
        return wt
    k = int(np.searchsorted(wt.ends, t, side="right"))
    starts = wt.starts[k:].copy()
    ends = wt.ends[k:].copy()
    if len(starts) and starts[0] < t:
        starts[0] = t
    return WorkingTime(starts, ends, wt.horizon)


@dataclass(frozen=True)
class Window:
    """One window's problem and how it maps back.

    Attributes
    ----------
    problem
        The window's operations as a problem of their own (units start free where the fixed
        operations leave them).
    ops
        Per window operation, its index in the group's problem.
    choice
        Per window operation and alternative: (alternative in the group's problem, the
        unit it is bound to, or 0 when the window's workstation keeps all units).

    """

    problem: SchedulingProblem
    ops: tuple[int, ...]
    choice: tuple[tuple[tuple[int, int], ...], ...]

    def place(self, solution: Solution, into: _Schedule) -> None:
        """Write the window's schedule into the group's schedule."""
        for k, o in enumerate(self.ops):
            j, bound_unit = self.choice[k][solution.alternative[k]]
            into.alternative[o] = j
            into.unit[o] = bound_unit or solution.unit[k]
            into.start[o], into.end[o] = solution.start[k], solution.end[k]


@dataclass
class _Schedule:
    """A schedule under construction (lists, filled window by window)."""

    alternative: list[int]
    unit: list[int]
    start: list[int]
    end: list[int]

    def frozen(self) -> Solution:
        return Solution(
            tuple(self.alternative), tuple(self.unit), tuple(self.start), tuple(self.end)
        )


class RollingHorizon:
    """Builds the problem of each window in turn, with the windows before it fixed.

    Parameters
    ----------
    problem
        A group's problem.
    order_of_ops
        Its operations in the order they are to be cut into windows (a schedule's start
        order: steps of an order always come in step order).
    size
        Operations per window.

    """

    def __init__(self, problem: SchedulingProblem, order_of_ops: Sequence[int], size: int) -> None:
        self.problem = problem
        n = problem.num_operations
        self.windows = [tuple(order_of_ops[k : k + size]) for k in range(0, n, size)]
        self.schedule = _Schedule([0] * n, [1] * n, [0] * n, [0] * n)
        self.done = [False] * n
        # (clock minute it ends, family) of the last fixed operation per unit.
        self.unit_end = [[(0, -1)] * ws.units for ws in problem.workstations]
        self.position = [0] * n  # an operation's index in its order
        self.order_of = [0] * n
        for i, order in enumerate(problem.orders):
            for k, o in enumerate(order.operations):
                self.position[o] = k
                self.order_of[o] = i
        self.min_duration = [min(a.duration for a in op.alternatives) for op in problem.operations]

    def _free_from(self, m: int, u: int) -> int:
        """Clock minute from which unit ``u`` of workstation ``m`` is free (changeover room)."""
        end, family = self.unit_end[m][u]
        matrix = self.problem.changeovers[m]
        if family < 0 or matrix is None:
            return end
        margin = int(matrix[family].max())
        if margin <= 0:
            return end
        wt = self.problem.working[m]
        w = wt.worked(end) + margin
        return wt.start_at(w) if w < wt.total else wt.horizon

    def window(self, k: int) -> Window:
        """The problem of window ``k`` (windows before it must have been placed)."""
        p = self.problem
        ops = self.windows[k]
        in_window = set(ops)
        # Pseudo-workstations: one per workstation when its units are free at the same time,
        # else one per unit (bound to it).
        pseudo: dict[int, list[tuple[int, int]]] = {}  # m → [(pseudo index, unit or 0)]
        stations: list[Workstation] = []
        working: list[WorkingTime] = []
        changeovers: list[np.ndarray | None] = []
        for o in ops:
            for alt in p.operations[o].alternatives:
                m = alt.workstation
                if m in pseudo:
                    continue
                ws = p.workstations[m]
                frees = [self._free_from(m, u) for u in range(ws.units)]
                if len(set(frees)) == 1:
                    pseudo[m] = [(len(stations), 0)]
                    stations.append(ws)
                    working.append(clip(p.working[m], frees[0]))
                    changeovers.append(p.changeovers[m])
                else:
                    pseudo[m] = []
                    for u, t in enumerate(frees):
                        pseudo[m].append((len(stations), u + 1))
                        stations.append(replace(ws, id=f"{ws.id}#{u + 1}", units=1))
                        working.append(clip(p.working[m], t))
                        changeovers.append(p.changeovers[m])
        orders: list[ManufacturingOrder] = []
        operations: list[Operation] = []
        choice: list[tuple[tuple[int, int], ...]] = []
        window_ops: list[int] = []  # window operation → group operation
        members: dict[int, list[int]] = {}
        for o in ops:
            members.setdefault(self.order_of[o], []).append(o)
        for i in sorted(members, key=lambda i: members[i][0]):
            order = p.orders[i]
            mine = sorted(members[i], key=lambda o: self.position[o])
            first = self.position[mine[0]]
            release = order.release
            if first > 0:
                previous = order.operations[first - 1]
                release = max(release, self.schedule.end[previous])
            after = order.operations[self.position[mine[-1]] + 1 :]
            # Later steps still need their time: the window's part of the order is due
            # early enough to leave it to them.
            due = order.due - sum(self.min_duration[o] for o in after if o not in in_window)
            ids = []
            for o in mine:
                alts: list[Alternative] = []
                picks: list[tuple[int, int]] = []
                for j, alt in enumerate(p.operations[o].alternatives):
                    for q, u in pseudo[alt.workstation]:
                        alts.append(Alternative(q, alt.duration, alt.family))
                        picks.append((j, u))
                ids.append(len(operations))
                operations.append(Operation(len(orders), p.operations[o].step, tuple(alts)))
                choice.append(tuple(picks))
                window_ops.append(o)
            orders.append(replace(order, release=release, due=due, operations=tuple(ids)))
        sub = SchedulingProblem(
            start=p.start,
            orders=tuple(orders),
            operations=tuple(operations),
            workstations=tuple(stations),
            families=p.families,
            changeovers=tuple(changeovers),
            working=tuple(working),
            window=p.window,
            serial_bound=_serial_end(orders, operations, stations, working, changeovers),
        )
        return Window(sub, tuple(window_ops), tuple(choice))

    def fix(self, window: Window, solution: Solution) -> None:
        """Fix a window's schedule: its units are busy until its operations end."""
        window.place(solution, self.schedule)
        p = self.problem
        for o in window.ops:
            alt = p.operations[o].alternatives[self.schedule.alternative[o]]
            u = self.schedule.unit[o] - 1
            end = self.schedule.end[o]
            if end >= self.unit_end[alt.workstation][u][0]:
                self.unit_end[alt.workstation][u] = (end, alt.family)
            self.done[o] = True


def _serial_end(
    orders: Sequence[ManufacturingOrder],
    operations: Sequence[Operation],
    stations: Sequence[Workstation],
    working: Sequence[WorkingTime],
    changeovers: Sequence[np.ndarray | None],
) -> int:
    """End of a schedule running the window's operations one after the other."""
    t = max((o.release for o in orders), default=0)
    longest = [int(m.max()) if m is not None else 0 for m in changeovers]
    for order in orders:
        for o in order.operations:
            ends = []
            for alt in operations[o].alternatives:
                wt, ws = working[alt.workstation], stations[alt.workstation]
                w = wt.place(wt.worked(t) + longest[alt.workstation], alt.duration, ws.pausable)
                if w is not None:
                    ends.append(wt.clock(w, alt.duration)[1])
            t = max(ends) if ends else max(t, working[0].horizon)
    return t


def earliest_completions(problem: SchedulingProblem) -> list[int]:
    """Each order's completion if it had every workstation to itself (a lower bound)."""
    out = []
    for order in problem.orders:
        t = order.release
        for o in order.operations:
            best = math.inf
            for alt in problem.operations[o].alternatives:
                wt, ws = problem.working[alt.workstation], problem.workstations[alt.workstation]
                w = wt.place(wt.worked(t), alt.duration, ws.pausable)
                if w is not None:
                    best = min(best, wt.clock(w, alt.duration)[1])
            t = int(best) if best < math.inf else t
        out.append(t)
    return out


def relaxation_bound(problem: SchedulingProblem, objective: str) -> float:
    """A lower bound of ``objective`` from :func:`earliest_completions` (no capacity)."""
    done = earliest_completions(problem)
    if objective == "weighted_tardiness":
        return float(
            sum(o.weight * max(0, c - o.due) for o, c in zip(problem.orders, done, strict=True))
        )
    if objective == "makespan":
        return float(max(done, default=0))
    return float(sum(c - o.release for o, c in zip(problem.orders, done, strict=True)))
