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
from oms_plan.schedule.solution import Solution


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


def clip(wt: WorkingTime, lo: int, hi: int) -> WorkingTime:
    """``wt`` restricted to the clock minutes ``[lo, hi)``."""
    if lo <= 0 and hi >= wt.horizon:
        return wt
    k = int(np.searchsorted(wt.ends, lo, side="right"))
    k_end = int(np.searchsorted(wt.starts, hi, side="left"))
    starts = wt.starts[k:k_end].copy()
    ends = wt.ends[k:k_end].copy()
    if len(starts):
        starts[0] = max(int(starts[0]), lo)
        ends[-1] = min(int(ends[-1]), hi)
    keep = ends > starts
    return WorkingTime(starts[keep], ends[keep], wt.horizon)


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

    def place(self, solution: Solution, into: Draft) -> None:
        """Write the window's schedule into the group's schedule."""
        for k, o in enumerate(self.ops):
            j, bound_unit = self.choice[k][solution.alternative[k]]
            into.alternative[o] = j
            into.unit[o] = bound_unit or solution.unit[k]
            into.start[o], into.end[o] = solution.start[k], solution.end[k]


@dataclass
class Draft:
    """A schedule being changed (lists, one entry per operation)."""

    alternative: list[int]
    unit: list[int]
    start: list[int]
    end: list[int]

    def frozen(self) -> Solution:
        """The schedule as a :class:`Solution`."""
        return Solution(
            tuple(self.alternative), tuple(self.unit), tuple(self.start), tuple(self.end)
        )


class Neighbourhood:
    """Builds the problem of re-solving one time slice of a schedule, the rest fixed.

    Large-neighbourhood search over an incumbent schedule: the operations whose start
    ranks fall in a slice are freed, every other operation stays. On each unit the freed
    operations lie between the last fixed one before the slice and the first fixed one
    after it, so the unit's working time is clipped to that gap (with room for the largest
    changeover at either end): nothing fixed lies inside it, so no operation can pause
    across a fixed one. An order whose next step stays fixed after the slice must finish
    before it starts: the part of it in the slice is due then, with a weight larger than
    everything else in the slice is worth, so a solution that breaks it is never better
    than the incumbent (and :meth:`accept` checks it anyway).

    Parameters
    ----------
    problem
        A group's problem.
    incumbent
        A valid schedule of it.

    """

    def __init__(self, problem: SchedulingProblem, incumbent: Solution) -> None:
        self.problem = problem
        n = problem.num_operations
        self.rank = sorted(range(n), key=lambda o: (incumbent.start[o], incumbent.end[o], o))
        self.schedule = Draft(
            list(incumbent.alternative),
            list(incumbent.unit),
            list(incumbent.start),
            list(incumbent.end),
        )
        self.position = [0] * n  # an operation's index in its order
        self.order_of = [0] * n
        for i, order in enumerate(problem.orders):
            for k, o in enumerate(order.operations):
                self.position[o] = k
                self.order_of[o] = i

    def _unit_of(self, o: int) -> tuple[int, int, int]:
        s = self.schedule
        alt = self.problem.operations[o].alternatives[s.alternative[o]]
        return alt.workstation, s.unit[o] - 1, alt.family

    def _gap(
        self,
        m: int,
        before: tuple[int, int] | None,
        after: tuple[int, int] | None,
        inner: tuple[int, int] | None,
    ) -> tuple[int, int]:
        """Clock gap of a unit between a fixed (end, family) before and (start, family) after.

        ``inner`` holds the families of the incumbent's first and last operation of the
        window on this unit: the gap leaves exactly the changeovers they need, so the
        incumbent fits it (a new first or last family may need more: the caller checks).
        Without any, room for the largest changeover is left.
        """
        p = self.problem
        wt, matrix = p.working[m], p.changeovers[m]
        lo, hi = 0, wt.horizon
        if before is not None:
            lo = before[0]
            if matrix is not None and before[1] >= 0:
                row = matrix[before[1]]
                margin = int(row.max()) if inner is None else int(max(0, row[inner[0]]))
                if inner is not None and inner[0] < 0:
                    margin = 0
                if margin > 0:
                    w = wt.worked(lo) + margin
                    lo = wt.start_at(w) if w < wt.total else wt.horizon
        if after is not None:
            hi = after[0]
            if matrix is not None and after[1] >= 0:
                col = matrix[:, after[1]]
                margin = int(col.max()) if inner is None else int(max(0, col[inner[1]]))
                if inner is not None and inner[1] < 0:
                    margin = 0
                if margin > 0:
                    w = wt.worked(hi) - margin
                    hi = wt.end_at(w) if w > 0 else 0
        return lo, max(lo, hi)

    def window(self, first: int, last: int) -> tuple[Window, set[int]] | None:
        """The problem of the operations ranked ``first`` to ``last − 1``.

        Also returns the window's orders (by index) that must end by their ``due``: a
        fixed successor starts then. ``None`` when an operation has no room left in any
        gap.
        """
        p, s = self.problem, self.schedule
        ops = self.rank[first:last]
        # The nearest fixed operation before / after the slice on every unit.
        before: dict[tuple[int, int], tuple[int, int]] = {}
        after: dict[tuple[int, int], tuple[int, int]] = {}
        for o in self.rank[:first]:
            m, u, f = self._unit_of(o)
            before[(m, u)] = (s.end[o], f)
        for o in reversed(self.rank[last:]):
            m, u, f = self._unit_of(o)
            after[(m, u)] = (s.start[o], f)
        inner: dict[tuple[int, int], tuple[int, int]] = {}  # (first, last) family per unit
        for o in ops:
            m, u, f = self._unit_of(o)
            inner[(m, u)] = (inner[(m, u)][0], f) if (m, u) in inner else (f, f)
        pseudo: dict[int, list[tuple[int, int]]] = {}
        stations: list[Workstation] = []
        working: list[WorkingTime] = []
        changeovers: list[np.ndarray | None] = []
        for o in ops:
            for alt in p.operations[o].alternatives:
                m = alt.workstation
                if m in pseudo:
                    continue
                ws = p.workstations[m]
                gaps = [
                    self._gap(m, before.get((m, u)), after.get((m, u)), inner.get((m, u)))
                    for u in range(ws.units)
                ]
                if len(set(gaps)) == 1:
                    pseudo[m] = [(len(stations), 0)]
                    stations.append(ws)
                    working.append(clip(p.working[m], *gaps[0]))
                    changeovers.append(p.changeovers[m])
                else:
                    pseudo[m] = []
                    for u, gap in enumerate(gaps):
                        pseudo[m].append((len(stations), u + 1))
                        stations.append(replace(ws, id=f"{ws.id}#{u + 1}", units=1))
                        working.append(clip(p.working[m], *gap))
                        changeovers.append(p.changeovers[m])
        members: dict[int, list[int]] = {}
        for o in ops:
            members.setdefault(self.order_of[o], []).append(o)
        groups = sorted(members.items())
        bound_by: dict[int, int] = {}  # window order → clock minute its part must end by
        real = 0
        for i, mine in groups:
            order = p.orders[i]
            tail = order.operations[max(self.position[o] for o in mine) + 1 :]
            if not tail:
                real += order.weight * max(0, s.end[order.operations[-1]] - order.due)
        big = real + 1  # more than everything else in the window is worth
        orders: list[ManufacturingOrder] = []
        operations: list[Operation] = []
        choice: list[tuple[tuple[int, int], ...]] = []
        window_ops: list[int] = []
        for i, mine in groups:
            order = p.orders[i]
            mine.sort(key=lambda o: self.position[o])
            k0, k1 = self.position[mine[0]], self.position[mine[-1]]
            release = order.release
            if k0 > 0:
                release = max(release, s.end[order.operations[k0 - 1]])
            due, weight = order.due, order.weight
            if k1 + 1 < len(order.operations):
                due, weight = s.start[order.operations[k1 + 1]], big
                bound_by[len(orders)] = due
            ids = []
            for o in mine:
                alts: list[Alternative] = []
                picks: list[tuple[int, int]] = []
                for j, alt in enumerate(p.operations[o].alternatives):
                    for q, u in pseudo[alt.workstation]:
                        wt = working[q]
                        if wt.place(wt.worked(release), alt.duration, stations[q].pausable) is None:
                            continue  # no room in this unit's gap
                        alts.append(Alternative(q, alt.duration, alt.family))
                        picks.append((j, u))
                if not alts:
                    return None
                ids.append(len(operations))
                operations.append(Operation(len(orders), p.operations[o].step, tuple(alts)))
                choice.append(tuple(picks))
                window_ops.append(o)
            orders.append(
                replace(order, release=release, due=due, weight=weight, operations=tuple(ids))
            )
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
        return Window(sub, tuple(window_ops), tuple(choice)), set(bound_by)

    def hint(self, window: Window) -> Solution | None:
        """The incumbent's schedule of the window's operations, in the window's terms.

        ``None`` when an incumbent placement is not among the window's choices (it sits
        closer to a fixed neighbour than the largest changeover the window leaves room for).
        """
        s = self.schedule
        alternative, unit = [], []
        for k, o in enumerate(window.ops):
            for a, (j, bound_unit) in enumerate(window.choice[k]):
                if j == s.alternative[o] and bound_unit in (0, s.unit[o]):
                    alternative.append(a)
                    unit.append(1 if bound_unit else s.unit[o])
                    break
            else:
                return None
        return Solution(
            tuple(alternative),
            tuple(unit),
            tuple(s.start[o] for o in window.ops),
            tuple(s.end[o] for o in window.ops),
        )

    def accept(self, window: Window, solution: Solution) -> None:
        """Make the window's schedule the incumbent's."""
        window.place(solution, self.schedule)


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
